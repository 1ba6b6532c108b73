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
    string? StdoutPath,
    string? StderrPath);

/// <summary>Starts a service's processes with their output captured, and tells when they executed and exited.</summary>
public interface IProcessSpawner
{
    /// <summary>Spawns the process and returns its pid; <paramref name="executed"/> gets the shim's error (null: executed), <paramref name="exited"/> its end.</summary>
    /// <exception cref="SpawnException">Nothing was spawned (fork, log file, cgroup); the message says why.</exception>
    Task<int> SpawnAsync(SpawnRequest request, Action<int, string?> executed, Action<int, ExitStatus> exited);

    /// <summary>SIGKILLs <paramref name="pid"/> if it is still our unreaped child (it may not have joined its cgroup yet).</summary>
    void KillIfAlive(int pid);
}
