using System.Runtime.InteropServices;
using ProcessMaster.Core.AdminActions;
using ProcessMaster.Core.Cgroups;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Events;
using ProcessMaster.Core.Faults;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Logs;
using ProcessMaster.Core.Probes;
using ProcessMaster.Core.Processes;
using ProcessMaster.Core.Processes.Holder;
using ProcessMaster.Core.Provisioning;
using ProcessMaster.Core.State;
using ProcessMaster.Core.Supervision;
using ProcessMaster.Core.Supervision.Ports;
using ProcessMaster.Daemon.Control;
using ProcessMaster.Daemon.Logging;
using ProcessMaster.Daemon.Memory;
using ProcessMaster.Daemon.Reexec;
using ProcessMaster.Daemon.Systemd;
using ProcessMaster.Protocol;

namespace ProcessMaster.Daemon;

/// <summary>
/// Runs the daemon: checks root and the config, takes the single-instance lock, sets up cgroups,
/// loads and provisions definitions, boots the services, serves the socket, and on SIGTERM/SIGINT shuts
/// down so that every service cgroup is empty before it exits 0. SIGHUP reloads definitions.
/// </summary>
internal static class DaemonHost
{
    /// <summary>SIGUSR2 (12 on every Linux architecture .NET runs on): re-execute the binary on disk.</summary>
    private const PosixSignal SigUsr2 = (PosixSignal)12;

    public static int Run(string configPath)
    {
        if (Libc.GetEuid() != 0)
        {
            Console.Error.WriteLine($"processmaster: must run as root (it manages cgroups and runs services as their users); running as uid {Libc.GetEuid()}");
            return 1;
        }

        // Before any child: what the daemon's own parent left open (a shell's 7</root/secret) is not the services'.
        // Descriptors handed over on purpose (a re-exec's, systemd's LISTEN_FDS) are taken by name later.
        Shared.CloseOnExec.AllAbove2Except([]);
        MasterConfig master;
        try
        {
            master = MasterConfigLoader.Load(configPath, SystemUserDatabase.Instance);
        }
        catch (ConfigException e)
        {
            foreach (var error in e.Errors)
            {
                Console.Error.WriteLine(error);
            }

            Console.Error.WriteLine($"processmaster: {configPath} has {e.Errors.Count} problem(s); not starting (check with --check-config)");
            return 1;
        }

        try
        {
            return RunAsync(master, configPath).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is DaemonStartException or CgroupException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"processmaster: {e.Message}");
            return 1;
        }
    }

    /// <summary>The sd_notify socket of notify services; an event says so when it cannot be bound (it is tried again until it is).</summary>
    private static NotifySocket OpenNotifySocket(MasterConfig master, CgroupLayout layout, InheritedDescriptors inherited,
        EventLoop loop, Action<string, int, Core.Supervision.NotifyMessage> deliver, EventLog events)
    {
        var masterName = Path.GetFileName(layout.Master);
        return NotifySocket.Open(NotifySocket.PathFor(master.UnixSocket.Path), new[] { inherited.Notify, inherited.NotifyLegacy }.OfType<int>(), loop,
            pid => NotifySocket.ServiceOf(pid, masterName), deliver, message => events.Record(null, new Notice("notify", message)), TimeProvider.System);
    }

    /// <summary>The master group with its controllers; what the kernel offers (and what is not used) goes to the daemon log.</summary>
    private static CgroupManager SetUpCgroups(MasterConfig master, CgroupLayout layout, DaemonLog log)
    {
        var cgroups = new CgroupManager(layout);
        var disabled = KernelFeatures.ParseDisabled(Environment.GetEnvironmentVariable(KernelFeatures.DisableVariable), out var unknownFeatures);
        foreach (var name in unknownFeatures)
        {
            log.Write("cgroup", null, $"{KernelFeatures.DisableVariable}: no feature is called '{name}' (known: {KernelFeatures.KnownNames}); ignored");
        }

        foreach (var warning in cgroups.SetupMaster(master.Cgroup, disabled))
        {
            log.Write("cgroup", null, warning);
        }

        foreach (var line in layout.Features.Describe(layout.KillMethod, layout.Backends[CgroupController.Memory] == LimitBackendKind.V2))
        {
            log.Write("cgroup", null, line);
        }

        return cgroups;
    }

    /// <summary>Provisions and admits the loaded definitions; each one rejected (or warned about) is an event.</summary>
    private static List<ServiceDefinition> Admit(ServiceCatalog catalog, DefinitionAdmission admission, EventLog events)
    {
        foreach (var problem in catalog.Problems)
        {
            events.Record(null, new DefinitionRejected(problem.File, problem.Line, problem.Column, problem.Key, problem.Message));
        }

        foreach (var warning in catalog.Warnings)
        {
            events.Record(null, new ConfigWarning(warning));
        }

        var (accepted, rejected) = admission.ProvisionAndAdmit(catalog.Services);
        foreach (var rejection in rejected)
        {
            events.Record(rejection.Name, new DefinitionNotAdmitted(rejection.Reason));
        }

        return accepted;
    }

    /// <summary>
    /// Start-up in phases, each using only what the ones before it made: load (the lock, cgroups, the daemon's
    /// own files, the definitions), adopt (the pipe holder and what an earlier daemon left), supervise (a
    /// supervisor per service, the notify socket), listen (the control socket and its methods), boot (every
    /// service adopted or started; the socket serves), serve (the console, /metrics); then run until a signal
    /// and shut down.
    /// </summary>
    private static async Task<int> RunAsync(MasterConfig master, string configPath)
    {
        // Load.
        // Its path on disk now: after an upgrade replaced the file, /proc/self/exe names the deleted one.
        var executable = Environment.ProcessPath ?? throw new DaemonStartException("cannot tell the daemon's own path");
        var inherited = InheritedDescriptors.Take();
        using var systemd = SystemdNotifier.FromEnvironment();
        using var instanceLock = InstanceLock.Acquire(master.UnixSocket.Path + ".lock", inherited.Lock);
        var mountedCgroup2 = PrivateCgroup2.EnsureMounted(File.ReadAllText("/proc/self/mountinfo"));
        var layout = CgroupDetector.Detect(master.Cgroup);
        var workingDirectory = Environment.CurrentDirectory;
        using var log = new DaemonLog(Path.Combine(workingDirectory, "logs", "processmaster.log"));
        var stateDirectory = Path.Combine(workingDirectory, "state");
        var time = TimeProvider.System;
        var events = new EventLog(Path.Combine(stateDirectory, "events.jsonl"), time, log.Write);
        if (events.SkippedAtLoad > 0)
        {
            events.Record(null, new HistorySkipped(events.SkippedAtLoad));
        }
        // Every loop and task reports and survives its own failures; should something still escape, its
        // last words go to the daemon log before the runtime ends the process.
        AppDomain.CurrentDomain.UnhandledException += (_, e) => log.Write("fatal", null, $"unhandled exception, the daemon ends: {e.ExceptionObject}");
        TaskScheduler.UnobservedTaskException += (_, e) =>
        {
            e.SetObserved();
            Background.Report("a background task", e.Exception.GetBaseException(), message => events.Record(null, new Notice("daemon", message)));
        };
        log.Write("boot", null, $"{BuildIdentity.Current.Describe()}; config {master.SourceFile}; pid {Environment.ProcessId}");
        foreach (var note in new[] { mountedCgroup2 }.OfType<string>().Concat(layout.Notes))
        {
            log.Write("cgroup", null, note);
        }

        FileLimit.Raise(log);
        // Before anything is created: a definition problem that stops boot leaves nothing behind (no cgroups).
        var users = SystemUserDatabase.Instance;
        var catalog = new ServiceCatalogLoader(master, users, readOnly: false).Load();
        if (catalog.Fatal is { } fatal)
        {
            throw new DaemonStartException(fatal.ToString());
        }

        var state = new PersistentState(Path.Combine(stateDirectory, "state.json"));
        if (state.LoadError is { } stateError)
        {
            log.Write("state", null, stateError);
        }

        using var flags = new OperatorFlags(Path.Combine(stateDirectory, "flags.json"), time, (service, message) => events.Record(service, new Notice("flag", message)));
        if (flags.LoadError is { } flagsError)
        {
            log.Write("state", null, flagsError);
        }

        using var loop = new EventLoop("event-loop", message => events.Record(null, new Notice("daemon", message)));
        using var logLoop = new EventLoop("log-loop", message => events.Record(null, new Notice("daemon", message)));
        using var reaper = new ChildReaper(loop);
        using var inotify = new InotifyWatcher(loop);
        using var logInotify = new InotifyWatcher(logLoop);
        var cgroups = SetUpCgroups(master, layout, log);

        // Adopt.
        var launcher = new ProcessLauncher(ProcessLauncher.LocateShim());
        var holder = PipeHolderClient.Start(master.UnixSocket.Path + ".holder",
            listener => launcher.SpawnHolder(listener, Path.Combine(layout.PipeHolder, "cgroup.procs")),
            logLoop, message => events.Record(null, new Notice("holder", message)),
            SystemdFdStore.Take(systemd, message => events.Record(null, new Notice("holder", message))));
        var records = new SupervisionRecords(Path.Combine(stateDirectory, "supervision.json"), SupervisionRecords.CurrentBootId(),
            message => events.Record(null, new Notice("state", message)));
        EarlierDaemon.Report(holder, records, events, log);
        // Supervise.
        var logFiles = new LogFileRegistry(time, (app, message) => events.Record(app, new LogProblem(message), EventOrigin.Service));
        var spawner = new ServiceProcessSpawner(loop, logLoop, reaper, launcher, logFiles, users, holder, NotifySocket.PathFor(master.UnixSocket.Path),
            pidfds: layout.Features.Has(KernelFeature.Pidfd));
        var context = new SupervisorContext(new WatchedServiceCgroups(cgroups, new CgroupEventsWatcher(inotify)), spawner, events, state, records,
            new ProbeRunner(spawner), time);
        var manager = new ServiceManager(context);
        // Bound before any service starts (they are given its path); what it hears goes to the manager.
        using var notify = OpenNotifySocket(master, layout, inherited, loop, manager.Notify, events);
        var admission = new DefinitionAdmission(layout, new Provisioner(users, time));

        var accepted = Admit(catalog, admission, events);

        spawner.ResumeOutput(holder.Recovered ?? [], accepted.ToDictionary(d => d.Name, StringComparer.Ordinal));
        var admin = new AdminActionRunner([.. master.AdminActions], layout, loop, launcher, reaper, events, Path.Combine(workingDirectory, "logs"));
        var trimmer = new MemoryTrimmer(time);
        // Listen.
        var reloader = new DefinitionReloader(master, users, manager, admission, flags, trimmer);
        var dispatcher = new RpcDispatcher(message => log.Write("rpc", null, message), () => trimmer.Request());
        var api = new ControlApi(manager, events, users, flags, logInotify, records.Generation, new BulkReads());
        api.RegisterAll(dispatcher);
        new DefinitionApi(manager, events, reloader, users).Register(dispatcher);
        new AdminApi(admin).Register(dispatcher);
        new FlagApi(manager, flags).Register(dispatcher);
        using var listener = ControlSocket.Listen(master.UnixSocket, users, inherited.Control);
        await using var server = new RpcServer(listener, dispatcher, users, message => log.Write("rpc", null, message));

        // Handlers in place before the socket is served: a SIGUSR2 sent as soon as the daemon answers must
        // find one (the default action would end the daemon); the swap itself waits until boot is done.
        var booted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handOver = new HandOver((int)listener.Handle, instanceLock.Fd, notify);
        var reexec = new DaemonReexec(executable, Path.GetFullPath(configPath), Path.Combine(stateDirectory, "supervision.json"),
            booted.Task, server, manager, records, loop, logLoop, reaper, events, handOver);
        api.RegisterReexec(dispatcher, reexec);
        var stop = new TaskCompletionSource<PosixSignal>(TaskCreationOptions.RunContinuationsAsynchronously);
        // .NET installs no handler for a signal ignored when it registers (nohup ignores SIGHUP): the daemon
        // would then never reload, re-exec or stop on a signal. What it handles starts from the default.
        foreach (var handled in (ReadOnlySpan<int>)[1, 2, 15, (int)SigUsr2])
        {
            Libc.SetSignalHandler(handled, 0);
        }

        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(c.Signal); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.TrySetResult(c.Signal); });
        using var sigusr2 = PosixSignalRegistration.Create(SigUsr2, c =>
        {
            c.Cancel = true;
            Background.Forget("re-executing (SIGUSR2)", () => reexec.RunAsync("SIGUSR2"), message => events.Record(null, new Notice("reexec", message)));
        });

        // Boot. Served as soon as every service has its supervisor: after a re-exec, the pause clients see ends here.
        await manager.BootAsync(accepted, server.Start);
        reaper.StopKeepingUnclaimed(); // every service that outlived a re-exec is claimed by now
        // Before the ready line and READY=1: a reload asked for the moment the daemon says it is up is not lost.
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, c =>
        {
            c.Cancel = true;
            events.Record(null, new SignalReceived("SIGHUP", "reloading definitions"));
            Background.Forget("reloading definitions (SIGHUP)", reloader.ReloadAsync, message => events.Record(null, new Notice("reload", message)));
        });
        // Serve.
        await using var web = Web.WebConsole.Start(master.WebConsole, events, dispatcher, stateDirectory, message => log.Write("web", null, message), inherited.Web);
        await using var metrics = Metrics.MetricsServer.Start(master, new Metrics.MetricsCollector(manager, logFiles, events, records.Generation, dispatcher.Counters), stateDirectory,
            inherited.Metrics, () => trimmer.Request(), message => events.Record(null, new Notice("metrics", message)));
        handOver.Serving(web?.ListenerFd, metrics?.ListenerFd);
        if (inherited.Any)
        {
            events.Record(null, new Reexecuted(records.Generation, BuildIdentity.Current.Describe()));
        }

        events.Record(null, new DaemonReady(accepted.Count, master.UnixSocket.Path));
        trimmer.ReleaseLoadMemory();
        booted.SetResult();
        systemd?.Notify($"READY=1\nSTATUS=generation {records.Generation}: {accepted.Count} service(s) supervised");
        systemd?.StartWatchdog(loop, time);

        // Run, then shut down.
        var signal = await stop.Task;
        systemd?.Notify($"STOPPING=1\nSTATUS=stopping {manager.Services.Count} service(s)");
        events.Record(null, new ShutdownBegun(signal.ToString(), manager.Services.Count));
        await manager.ShutdownAsync();
        holder.Quit();
        await records.FlushAsync();
        cgroups.RemoveMasterIfEmpty();
        if (PrivateCgroup2.UnmountIfUnused(layout.V2Root) is { } unmounted)
        {
            log.Write("cgroup", null, unmounted);
        }
        await server.DisposeAsync();
        File.Delete(master.UnixSocket.Path);
        events.Record(null, new ShutdownDone());
        return 0;
    }
}

/// <summary>One daemon per socket: an exclusive flock on <c>&lt;socket&gt;.lock</c>, held for the daemon's life.</summary>
internal sealed class InstanceLock : IDisposable
{
    private readonly int _fd;

    private InstanceLock(int fd) => _fd = fd;

    /// <summary>The lock file's descriptor (handed to the next image on a re-exec: the lock stays held).</summary>
    public int Fd => _fd;

    /// <param name="inherited">The descriptor a re-exec handed over, already holding the lock.</param>
    public static InstanceLock Acquire(string path, int? inherited)
    {
        if (inherited is { } held)
        {
            return new InstanceLock(held);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // Opened with libc: .NET's FileStream takes flock locks of its own to emulate FileShare.
        var fd = Libc.Open(path, Libc.O_RDWR | Libc.O_CREAT | Libc.O_CLOEXEC | Libc.O_NOFOLLOW, 0x180);
        if (fd < 0)
        {
            throw new DaemonStartException($"cannot open the lock file {path}: {Linux.LastErrorText()}");
        }

        if (Linux.Flock(fd, Linux.LOCK_EX | Linux.LOCK_NB) < 0)
        {
            Libc.Close(fd);
            throw new DaemonStartException($"another processmaster is already running for this socket (lock {path} is held)");
        }

        return new InstanceLock(fd);
    }

    public void Dispose() => Libc.Close(_fd);
}

/// <summary>Raises the soft open-file limit to the hard limit: every service costs the daemon a few descriptors.</summary>
internal static class FileLimit
{
    public static unsafe void Raise(DaemonLog log)
    {
        Linux.RLimit limit;
        if (Linux.GetRLimit(Linux.RLIMIT_NOFILE, &limit) == 0 && limit.Current < limit.Maximum)
        {
            var raised = new Linux.RLimit { Current = limit.Maximum, Maximum = limit.Maximum };
            if (Linux.SetRLimit(Linux.RLIMIT_NOFILE, &raised) < 0)
            {
                log.Write("boot", null, $"cannot raise the open-file limit: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
            }
        }
    }
}
