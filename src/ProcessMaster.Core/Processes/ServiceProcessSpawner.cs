using Microsoft.Win32.SafeHandles;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Logs;
using ProcessMaster.Core.Supervision.Ports;

namespace ProcessMaster.Core.Processes;

/// <summary>
/// Spawns a service's processes through the shim on the supervision loop (so the reaper knows the pid
/// before it can exit), pumps their output into the log files on the log loop, and reads the shim's
/// exec status.
/// </summary>
/// <param name="loop">The supervision loop: spawning, reaping, exec status.</param>
/// <param name="logLoop">The log loop: output pipes into their files.</param>
public sealed class ServiceProcessSpawner(
    EventLoop loop,
    EventLoop logLoop,
    ChildReaper reaper,
    ProcessLauncher launcher,
    LogFileRegistry logs,
    IUserDatabase users) : IProcessSpawner
{
    private const int SigKill = 9;

    public async Task<int> SpawnAsync(SpawnRequest request, Action<int, string?> executed, Action<int, ExitStatus> exited)
    {
        var stdout = Acquire(request.Definition, request.StdoutPath);
        var stderr = Acquire(request.Definition, request.StderrPath);
        try
        {
            var spec = Spec(request, stdout, stderr);
            var launched = await reaper.SpawnAsync(() => launcher.Launch(spec), l => l.Pid, (l, status) => exited(l.Pid, status));
            Pump(launched.Stdout, stdout);
            Pump(launched.Stderr, stderr);
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

    public void KillIfAlive(int pid) => reaper.SignalIfAlive(pid, SigKill);

    private LaunchSpec Spec(SpawnRequest request, LogFile? stdout, LogFile? stderr)
    {
        var process = request.Definition.Process;
        var (user, credentials) = ServiceEnvironment.ResolveCredentials(process, users);
        var environment = ServiceEnvironment.Build(process, user);
        var workingDirectory = request.Definition.WorkingDirectory;
        return new LaunchSpec(
            request.Cgroup.ProcsFiles,
            credentials,
            workingDirectory,
            request.Command,
            ProcessTitle.Decorate(request.Command[0], request.Label, workingDirectory, environment),
            environment,
            stdout is null ? OutputTarget.Discard : OutputTarget.Pipe,
            stderr is null ? OutputTarget.Discard : OutputTarget.Pipe);
    }

    private LogFile? Acquire(ServiceDefinition definition, string? path) => path is null
        ? null
        : logs.Acquire(path, RotationSettings.From(definition.Logs), ServiceLogFiles.Owners(definition, users));

    private void Release(LogFile? file)
    {
        if (file is not null)
        {
            logs.Release(file);
        }
    }

    private void Pump(SafeFileHandle? pipe, LogFile? file)
    {
        if (pipe is not null)
        {
            OutputPump.Start(logLoop, pipe, file, () => Release(file));
        }
    }
}
