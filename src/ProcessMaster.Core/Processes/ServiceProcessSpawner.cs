using Microsoft.Win32.SafeHandles;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Logs;
using ProcessMaster.Core.Processes.Holder;
using ProcessMaster.Core.Supervision.Ports;

namespace ProcessMaster.Core.Processes;

/// <summary>
/// Spawns a service's processes through the shim on the supervision loop (so the reaper knows the pid
/// before it can exit), pumps their output into the log files on the log loop (each pipe also kept by
/// the pipe holder, so it outlives the daemon), and reads the shim's exec status.
/// </summary>
/// <param name="loop">The supervision loop: spawning, reaping, exec status, adopted processes.</param>
/// <param name="logLoop">The log loop: output pipes into their files.</param>
public sealed class ServiceProcessSpawner(
    EventLoop loop,
    EventLoop logLoop,
    ChildReaper reaper,
    ProcessLauncher launcher,
    LogFileRegistry logs,
    IUserDatabase users,
    PipeHolderClient? holder,
    string? notifySocket = null,
    bool pidfds = true) : IProcessSpawner
{
    public async Task<int> SpawnAsync(SpawnRequest request, Action<int, string?> executed, Action<int, ExitStatus> exited)
    {
        var stdout = Acquire(request.Definition, request.StdoutPath);
        var stderr = Acquire(request.Definition, request.StderrPath);
        try
        {
            var spec = Spec(request, stdout, stderr, request.Role == ProcessRole.Main ? "process.start_command" : "process.stop_command");
            var launched = await reaper.SpawnAsync(() => launcher.Launch(spec), l => l.Pid, (l, status) => exited(l.Pid, status));
            Pump(launched.Stdout, stdout, new HeldPipeKey(request.Cgroup.App, launched.Pid, request.Role, Stderr: false));
            Pump(launched.Stderr, stderr, new HeldPipeKey(request.Cgroup.App, launched.Pid, request.Role, Stderr: true));
            _ = ExecStatus.ReadAsync(loop, launched.ExecStatus).ContinueWith(t => executed(launched.Pid, t.Result), TaskScheduler.Default);
            return launched.Pid;
        }
        catch (Exception e) when (e is SpawnException or IOException)
        {
            Release(stdout);
            Release(stderr);
            throw e as SpawnException ?? new SpawnException(e.Message);
        }
    }

    /// <summary>
    /// Resumes capturing the pipes an earlier daemon's processes write to (given back by the holder) into
    /// their service's log files; pipes of services no longer configured are let go.
    /// </summary>
    public void ResumeOutput(IEnumerable<HeldPipe> pipes, IReadOnlyDictionary<string, ServiceDefinition> definitions)
    {
        foreach (var (key, pipe) in pipes)
        {
            if (!definitions.TryGetValue(key.App, out var definition))
            {
                holder?.Release(key);
                pipe.Dispose();
                continue;
            }

            LogFile? file = null;
            try
            {
                file = Acquire(definition, SpawnRequest.OutputPath(definition, key.Role, key.Stderr));
            }
            catch (Exception e) when (e is SpawnException or IOException)
            {
                // Drained into nothing rather than left to fill: the service must not block on it.
            }

            Pump(pipe, file, key);
        }
    }

    /// <summary>
    /// A main process that outlived the daemon image: still its child after a re-exec (the reaper then
    /// reads its exit status), or, after a crash, a process it can only watch through a pidfd (or, on
    /// kernels without, by looking at it in /proc).
    /// </summary>
    public IDisposable Watch(int pid, Action<ExitStatus> exited)
    {
        var watch = new LateDisposable();
        loop.Post(() =>
        {
            if (!reaper.Claim(pid, exited))
            {
                watch.Set(pidfds ? AdoptedProcess.Watch(loop, pid, exited) : PolledProcess.Watch(loop, pid, exited));
            }
        });
        return watch;
    }

    public void KillIfAlive(int pid) => reaper.SignalIfAlive(pid, Signals.Kill);

    /// <summary>What a probe's command may say that is kept (events quote it).</summary>
    private const int CheckOutputBytes = 4096;

    public async Task<CheckRun> RunCheckAsync(ServiceDefinition definition, IServiceCgroup cgroup, string check, IReadOnlyList<string> command, TimeSpan timeout)
    {
        try
        {
            return await RunCheckInItsGroupAsync(definition, cgroup, check, command, timeout);
        }
        finally
        {
            cgroup.EmptyCheck(check); // what it started in the background (one per period) does not pile up in the service
        }
    }

    private async Task<CheckRun> RunCheckInItsGroupAsync(ServiceDefinition definition, IServiceCgroup cgroup, string check, IReadOnlyList<string> command, TimeSpan timeout)
    {
        var (read, write) = ProcessLauncher.OutputPipe();
        LaunchedProcess launched;
        var exited = new TaskCompletionSource<ExitStatus>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            // One pipe for both streams: what it says, in the order it said it.
            var spec = Spec(new SpawnRequest(definition, cgroup, command, $"{definition.Name}.probe", ProcessRole.StopCommand), null, null, commandKey: null)
                with { CgroupProcsFiles = cgroup.CheckProcsFiles(check), Stdout = OutputTarget.File(write), Stderr = OutputTarget.File(write) };
            launched = await reaper.SpawnAsync(() => launcher.Launch(spec), l => l.Pid, (_, status) => exited.TrySetResult(status));
        }
        catch (Exception e) when (e is SpawnException or IOException)
        {
            read.Dispose();
            return new CheckRun(null, e.Message, "");
        }
        finally
        {
            write.Dispose(); // the child has its own copy: the end of its output is the end of the pipe
        }

        using var done = new CancellationTokenSource();
        var output = PipeText.ReadAsync(logLoop, read, CheckOutputBytes, done.Token);
        var error = await ExecStatus.ReadAsync(loop, launched.ExecStatus);
        var finished = await Task.WhenAny(exited.Task, Task.Delay(timeout)) == exited.Task;
        if (!finished)
        {
            KillIfAlive(launched.Pid);
        }

        // What it left running may hold the pipe open: what it said by now is what counts.
        done.CancelAfter(TimeSpan.FromMilliseconds(100));
        return new CheckRun(finished ? exited.Task.Result : null, error, await output);
    }

    /// <param name="commandKey">The command's key, when its words may name the service's variables
    /// (start_command, stop_command); null: a probe's command, taken as written.</param>
    private LaunchSpec Spec(SpawnRequest request, LogFile? stdout, LogFile? stderr, string? commandKey)
    {
        var process = request.Definition.Process;
        var (user, credentials) = ServiceEnvironment.ResolveCredentials(process, users);
        var fromFiles = EnvironmentFiles.Read(process.EnvironmentFiles, ServiceLogFiles.Owners(request.Definition, users));
        var variables = ServiceEnvironment.Variables(process, user, request.Role == ProcessRole.Main ? NotifyVariables(request.Definition) : null, fromFiles);
        var command = commandKey is null ? [.. request.Command] : ServiceEnvironment.ExpandCommand(request.Command, variables, commandKey);
        var environment = ServiceEnvironment.Render(variables);
        var workingDirectory = request.Definition.WorkingDirectory;
        return new LaunchSpec(
            request.Cgroup.ProcsFiles,
            credentials,
            workingDirectory,
            command,
            process.DecorateArgv0 ? ProcessTitle.Decorate(command[0], request.Label, workingDirectory, environment) : null,
            environment,
            stdout is null ? OutputTarget.Discard : OutputTarget.Pipe,
            request.Role == ProcessRole.Main && request.Definition.Logs.StderrToStdout ? OutputTarget.SameAsStdout
            : stderr is null ? OutputTarget.Discard : OutputTarget.Pipe)
        {
            Tuning = ExecTuning.From(process),
        };
    }

    /// <summary>What a notify service's main process is told: where to send sd_notify datagrams, and how often to ping.</summary>
    private IEnumerable<KeyValuePair<string, string>> NotifyVariables(ServiceDefinition definition)
    {
        if (!definition.Notifies || notifySocket is null)
        {
            yield break;
        }

        yield return new("NOTIFY_SOCKET", notifySocket);
        if (definition.Readiness?.Notify?.Watchdog is { } watchdog)
        {
            yield return new("WATCHDOG_USEC", ((long)(watchdog.TotalMicroseconds)).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    private LogFile? Acquire(ServiceDefinition definition, string? path) => path is null
        ? null
        : logs.Acquire(definition.Name, path, RotationSettings.From(definition.Logs), ServiceLogFiles.Owners(definition, users));

    private void Release(LogFile? file)
    {
        if (file is not null)
        {
            logs.Release(file);
        }
    }

    private void Pump(SafeFileHandle? pipe, LogFile? file, HeldPipeKey key)
    {
        if (pipe is null)
        {
            return;
        }

        holder?.Hold(key, pipe);
        OutputPump.Start(logLoop, pipe, file, () =>
        {
            holder?.Release(key);
            Release(file);
        });
    }
}
