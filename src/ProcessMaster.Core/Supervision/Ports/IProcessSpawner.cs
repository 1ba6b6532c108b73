using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Processes;

namespace ProcessMaster.Core.Supervision.Ports;

/// <summary>A process of a service to spawn: its main command or its stop command, with its output files.</summary>
/// <param name="Label">What <c>ps</c> shows it as, e.g. <c>web</c> or <c>web.stop</c>.</param>
public sealed record SpawnRequest(
    ServiceDefinition Definition,
    IServiceCgroup Cgroup,
    IReadOnlyList<string> Command,
    string Label,
    ProcessRole Role)
{
    public string? StdoutPath => OutputPath(Definition, Role, stderr: false);

    public string? StderrPath => OutputPath(Definition, Role, stderr: true);

    /// <summary>The log file a stream of <paramref name="role"/> goes to (null: discarded).</summary>
    public static string? OutputPath(ServiceDefinition definition, ProcessRole role, bool stderr) => (role, stderr) switch
    {
        (ProcessRole.Main, false) => definition.Logs.Stdout,
        (ProcessRole.Main, true) => definition.Logs.Stderr,
        (_, false) => definition.Logs.StopCommandStdout,
        (_, true) => definition.Logs.StopCommandStderr,
    };
}

/// <summary>Which of a service's processes: its command, or its stop_command.</summary>
public enum ProcessRole
{
    Main,
    StopCommand,
}

/// <summary>Starts a service's processes with their output captured, and tells when they executed and exited.</summary>
public interface IProcessSpawner
{
    /// <summary>Spawns the process and returns its pid; <paramref name="executed"/> gets the shim's error (null: executed), <paramref name="exited"/> its end.</summary>
    /// <exception cref="SpawnException">Nothing was spawned (fork, log file, cgroup); the message says why.</exception>
    Task<int> SpawnAsync(SpawnRequest request, Action<int, string?> executed, Action<int, ExitStatus> exited);

    /// <summary>
    /// Reports the end of <paramref name="pid"/>, a main process adopted from an earlier daemon: its exit
    /// status when it is still the daemon's child, <see cref="ExitStatus.Unknown"/> otherwise.
    /// </summary>
    IDisposable Watch(int pid, Action<ExitStatus> exited);

    /// <summary>SIGKILLs <paramref name="pid"/> if it is still our unreaped child (it may not have joined its cgroup yet).</summary>
    void KillIfAlive(int pid);

    /// <summary>
    /// Runs a probe's command as the service's stop command would run (its cgroup, user, directory and
    /// environment), killing it after <paramref name="timeout"/>; its output (stdout and stderr together, the
    /// first few KB) is kept for the events, not logged.
    /// </summary>
    /// <param name="check">The check's name (its probe's kind): it runs in a group of that name below the service's, emptied after it.</param>
    Task<CheckRun> RunCheckAsync(ServiceDefinition definition, IServiceCgroup cgroup, string check, IReadOnlyList<string> command, TimeSpan timeout);
}

/// <summary>How a probe's command ended: its exit (null when it was killed for taking too long), why it could not run, what it said.</summary>
public sealed record CheckRun(ExitStatus? Exit, string? Error, string Output);

/// <summary>A process could not be started (what <see cref="IProcessSpawner"/> and the launcher throw).</summary>
public sealed class SpawnException(string message) : Exception(message);
