using ProcessMaster.Core.Events;
using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;
using ProcessMaster.Core.Cgroups;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Processes;
using ProcessMaster.Core.Supervision;
using ProcessMaster.Core.Supervision.Ports;

namespace ProcessMaster.Tests.Supervision.Fakes;

/// <summary>
/// The world a supervisor runs in, simulated: cgroups holding fake processes, a spawner, the state
/// file, the event log and a <see cref="FakeTimeProvider"/>. Supervisors and the manager run on it
/// unchanged, without root. Processes die when killed and, unless told to ignore it, on their stop signal.
/// </summary>
internal sealed class FakeHost : IServiceCgroups, IProcessSpawner, IEventSink, IOperatorStops, ISupervisionRecords, IProbes
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, FakeCgroup> _cgroups = new(StringComparer.Ordinal);
    private readonly Dictionary<int, FakeProcess> _processes = [];
    private readonly HashSet<string> _stopped = new(StringComparer.Ordinal);
    private int _nextPid = 1000;

    public FakeHost()
    {
        Context = new SupervisorContext(this, this, this, this, this, this, Time);
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

    public SupervisorContext Context { get; }

    public ConcurrentQueue<string> Events { get; } = new();

    /// <summary>The same events as values, for asserting on kinds and fields.</summary>
    public ConcurrentQueue<(string? App, Event Event)> Recorded { get; } = new();

    public ConcurrentQueue<SpawnRequest> Spawns { get; } = new();

    /// <summary>The supervision state saved by the running supervisors.</summary>
    public ConcurrentDictionary<string, SavedService> SavedRecords { get; } = new(StringComparer.Ordinal);

    /// <summary>How often any supervisor saved its state.</summary>
    public int Saves => _saves;

    private int _saves;

    /// <summary>What an earlier daemon saved, offered to the next supervisors (see <see cref="CrashDaemon"/>).</summary>
    public ConcurrentDictionary<string, SavedService> EarlierRecords { get; } = new(StringComparer.Ordinal);

    /// <summary>What each service's probes find (by default they pass).</summary>
    public ConcurrentDictionary<(string App, ProbeKind Kind), ProbeOutcome> ProbeOutcomes { get; } = new();

    /// <summary>The probes that ran, in order.</summary>
    public ConcurrentQueue<(string App, ProbeKind Kind)> ProbesRun { get; } = new();

    /// <summary>Main commands whose spawn fails.</summary>
    public bool FailSpawns { get; set; }

    /// <summary>New processes ignore their stop signal (only cgroup.kill ends them).</summary>
    public bool IgnoreStopSignal { get; set; }

    /// <summary>cgroup.kill leaves the processes in place (a stuck group).</summary>
    public bool KillIsStuck { get; set; }

    public FakeCgroup Cgroup(string app)
    {
        lock (_lock)
        {
            if (!_cgroups.TryGetValue(app, out var cgroup))
            {
                cgroup = new FakeCgroup(this, app);
                _cgroups[app] = cgroup;
            }

            return cgroup;
        }
    }

    /// <summary>A process an earlier daemon left behind (nobody waits for it).</summary>
    public int AddLeftover(string app)
    {
        lock (_lock)
        {
            var process = new FakeProcess(_nextPid++, Cgroup(app), null);
            _processes[process.Pid] = process;
            return process.Pid;
        }
    }

    /// <summary>The newest live main process of <paramref name="app"/>.</summary>
    public int MainPid(string app)
    {
        lock (_lock)
        {
            return _processes.Values.Where(p => p.Cgroup.App == app && p.Exited is not null && !p.IsStopCommand).Max(p => p.Pid);
        }
    }

    /// <summary>The process ends by itself with <paramref name="status"/>.</summary>
    public void Exit(int pid, ExitStatus status)
    {
        FakeProcess? process;
        lock (_lock)
        {
            if (!_processes.Remove(pid, out process))
            {
                return;
            }
        }

        process.Exited?.Invoke(pid, status);
        process.Cgroup.Notify();
    }

    public int SpawnCount(string app) => Spawns.Count(s => s.Cgroup.App == app && s.Label == app);

    public bool Saw(string text) => Events.Any(e => e.Contains(text, StringComparison.Ordinal));

    /// <summary>An event of kind <typeparamref name="T"/> (matching <paramref name="match"/>) was recorded.</summary>
    public bool Saw<T>(Func<T, bool>? match = null) where T : Event => Recorded.Any(r => r.Event is T e && (match is null || match(e)));

    IServiceCgroup IServiceCgroups.Service(string app) => Cgroup(app);

    public IReadOnlyList<string> ExistingServiceNames()
    {
        lock (_lock)
        {
            return [.. _cgroups.Values.Where(c => c.Exists).Select(c => c.App)];
        }
    }

    public IDisposable Watch(IServiceCgroup cgroup, Action<bool> onChange) => ((FakeCgroup)cgroup).AddWatcher(onChange);

    public Task<int> SpawnAsync(SpawnRequest request, Action<int, string?> executed, Action<int, ExitStatus> exited)
    {
        Spawns.Enqueue(request);
        var stopCommand = request.Label.EndsWith(".stop", StringComparison.Ordinal);
        if (FailSpawns && !stopCommand)
        {
            throw new SpawnException("injected spawn failure");
        }

        FakeProcess process;
        lock (_lock)
        {
            var cgroup = (FakeCgroup)request.Cgroup;
            process = new FakeProcess(_nextPid++, cgroup, exited) { IsStopCommand = stopCommand, IgnoresStopSignal = IgnoreStopSignal };
            _processes[process.Pid] = process;
        }

        executed(process.Pid, null);
        process.Cgroup.Notify();
        return Task.FromResult(process.Pid);
    }

    public void KillIfAlive(int pid) => Exit(pid, ExitStatus.Killed(9));

    /// <summary>An adopted process is nobody's child here either: its end comes without a status.</summary>
    public IDisposable Watch(int pid, Action<ExitStatus> exited)
    {
        lock (_lock)
        {
            if (_processes.TryGetValue(pid, out var process))
            {
                process.Exited = (_, _) => exited(ExitStatus.Unknown);
                return process;
            }
        }

        exited(ExitStatus.Unknown);
        return new FakeProcess(0, Cgroup("-"), null);
    }

    /// <summary>
    /// The daemon dies: its supervisors stop without touching anything, its processes keep running with
    /// nobody waiting for them, and what it saved becomes the earlier daemon's state.
    /// </summary>
    public async Task CrashDaemon(IEnumerable<ServiceSupervisor> supervisors)
    {
        foreach (var supervisor in supervisors)
        {
            await supervisor.DisposeAsync();
        }

        lock (_lock)
        {
            foreach (var process in _processes.Values)
            {
                process.Exited = null;
            }
        }

        EarlierRecords.Clear();
        foreach (var (app, record) in SavedRecords)
        {
            EarlierRecords[app] = record;
        }

        SavedRecords.Clear();
    }

    SavedService? ISupervisionRecords.Saved(string app) => EarlierRecords.TryRemove(app, out var record) ? record : null;

    void ISupervisionRecords.Save(string app, SavedService record)
    {
        Interlocked.Increment(ref _saves);
        SavedRecords[app] = record;
    }

    void ISupervisionRecords.Forget(string app) => SavedRecords.TryRemove(app, out _);

    void ISupervisionRecords.Retain(IReadOnlySet<string> configured)
    {
        foreach (var app in EarlierRecords.Keys.Where(a => !configured.Contains(a)))
        {
            EarlierRecords.TryRemove(app, out _);
        }
    }

    void IEventSink.Record(string? app, Event e, EventOrigin origin)
    {
        Recorded.Enqueue((app, e));
        Events.Enqueue($"{app}: {e.Component}: {e.Render()}");
    }

    Task<ProbeOutcome> IProbes.RunAsync(ProbeKind kind, ProbeSettings probe, ServiceDefinition definition, IServiceCgroup cgroup)
    {
        ProbesRun.Enqueue((definition.Name, kind));
        return Task.FromResult(ProbeOutcomes.GetValueOrDefault((definition.Name, kind), new ProbeOutcome(true, "fine")));
    }

    Task<CheckRun> IProcessSpawner.RunCheckAsync(ServiceDefinition definition, IServiceCgroup cgroup, string check, IReadOnlyList<string> command, TimeSpan timeout) =>
        Task.FromResult(new CheckRun(ExitStatus.Exited(0), null, ""));

    public bool IsStoppedByOperator(string app)
    {
        lock (_lock)
        {
            return _stopped.Contains(app);
        }
    }

    public Task SetStoppedByOperatorAsync(string app, bool stopped)
    {
        lock (_lock)
        {
            _ = stopped ? _stopped.Add(app) : _stopped.Remove(app);
        }

        return Task.CompletedTask;
    }

    public Task RetainAsync(IEnumerable<string> apps)
    {
        lock (_lock)
        {
            _stopped.IntersectWith(apps);
        }

        return Task.CompletedTask;
    }

    internal List<int> PidsIn(FakeCgroup cgroup)
    {
        lock (_lock)
        {
            return [.. _processes.Values.Where(p => p.Cgroup == cgroup).Select(p => p.Pid).Order()];
        }
    }

    /// <summary>Every process in <paramref name="cgroup"/> gets <paramref name="signal"/>; those that act on it end.</summary>
    internal int Signal(FakeCgroup cgroup, int signal, bool kill, int? only = null)
    {
        List<FakeProcess> targets;
        lock (_lock)
        {
            targets = [.. _processes.Values.Where(p => p.Cgroup == cgroup && (only is null || p.Pid == only))];
        }

        foreach (var process in targets.Where(p => kill ? !KillIsStuck : signal is not 18 && !p.IgnoresStopSignal))
        {
            Exit(process.Pid, ExitStatus.Killed(kill ? 9 : signal));
        }

        return targets.Count;
    }

    private sealed class FakeProcess(int pid, FakeCgroup cgroup, Action<int, ExitStatus>? exited) : IDisposable
    {
        public int Pid { get; } = pid;

        public FakeCgroup Cgroup { get; } = cgroup;

        public Action<int, ExitStatus>? Exited { get; set; } = exited;

        public void Dispose()
        {
        }

        public bool IsStopCommand { get; init; }

        public bool IgnoresStopSignal { get; init; }
    }
}

/// <summary>A service's cgroup in the <see cref="FakeHost"/>.</summary>
internal sealed class FakeCgroup(FakeHost host, string app) : IServiceCgroup
{
    private readonly List<Action<bool>> _watchers = [];

    public string App => app;

    public string Group => $"/fake/pm-{app}";

    public IReadOnlyList<string> ProcsFiles => [$"{Group}/run/cgroup.procs"];

    public IReadOnlyList<string> CheckProcsFiles(string check) => [$"{Group}/pm-check-{check}/cgroup.procs"];

    public void EmptyCheck(string check)
    {
    }

    public bool Exists { get; private set; }

    /// <summary>How many of the next reads of the populated flag fail (an I/O error, say).</summary>
    public int FailingReads { get; set; }

    public bool IsPopulated => FailingReads-- > 0 ? throw new IOException("injected read failure") : host.PidsIn(this).Count > 0;

    public int Kills { get; private set; }

    public List<int> Signals { get; } = [];

    public List<int> Pids() => host.PidsIn(this);

    public IReadOnlyList<string> Prepare(ResourceSettings resources)
    {
        Exists = true;
        return [];
    }

    public void Kill()
    {
        Kills++;
        host.Signal(this, 9, kill: true);
    }

    public int Signal(int signal)
    {
        Signals.Add(signal);
        return host.Signal(this, signal, kill: false);
    }

    /// <summary>Signals sent to one process: (pid, signal).</summary>
    public List<(int Pid, int Signal)> SingleSignals { get; } = [];

    public bool SignalOne(int pid, int signal)
    {
        SingleSignals.Add((pid, signal));
        return host.Signal(this, signal, kill: false, only: pid) == 1;
    }

    public bool Remove()
    {
        Exists = IsPopulated;
        return !Exists;
    }

    public void Dispose()
    {
    }

    internal IDisposable AddWatcher(Action<bool> onChange)
    {
        lock (_watchers)
        {
            _watchers.Add(onChange);
        }

        return new Unwatch(() =>
        {
            lock (_watchers)
            {
                _watchers.Remove(onChange);
            }
        });
    }

    internal void Notify()
    {
        Action<bool>[] watchers;
        lock (_watchers)
        {
            watchers = [.. _watchers];
        }

        foreach (var watcher in watchers)
        {
            watcher(host.PidsIn(this).Count > 0);
        }
    }

    private sealed class Unwatch(Action dispose) : IDisposable
    {
        public void Dispose() => dispose();
    }
}
