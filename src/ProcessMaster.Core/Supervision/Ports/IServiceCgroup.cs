using ProcessMaster.Core.Cgroups;
using ProcessMaster.Core.Configuration;

namespace ProcessMaster.Core.Supervision.Ports;

/// <summary>One service's cgroup, as its supervisor uses it (what it says about usage: <see cref="ICgroupReadings"/>).</summary>
public interface IServiceCgroup : IDisposable
{
    string App { get; }

    /// <summary>The group's path on the v2 hierarchy.</summary>
    string Group { get; }

    /// <summary>The cgroup.procs files a new process of this service joins before it executes.</summary>
    IReadOnlyList<string> ProcsFiles { get; }

    /// <summary>
    /// The cgroup.procs files an exec check named <paramref name="check"/> joins: a group of its own below the
    /// service's (created now), still under the service's limits, so that what the check leaves running can be
    /// emptied after it (<see cref="EmptyCheck"/>) without touching the service.
    /// </summary>
    IReadOnlyList<string> CheckProcsFiles(string check);

    /// <summary>Kills whatever the check named <paramref name="check"/> left running, and removes its group once it is empty.</summary>
    void EmptyCheck(string check);

    bool IsPopulated { get; }

    /// <summary>Every pid in the group, sorted.</summary>
    List<int> Pids();

    /// <summary>Creates the groups if needed and writes the limits; returns warnings.</summary>
    IReadOnlyList<string> Prepare(ResourceSettings resources);

    /// <summary>SIGKILLs every process in the group at once.</summary>
    void Kill();

    /// <summary>Sends <paramref name="signal"/> to every process in the group; returns how many got it.</summary>
    int Signal(int signal);

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/> if it is in the group; returns whether it got it.</summary>
    bool SignalOne(int pid, int signal);

    /// <summary>Removes the groups; they must hold no process.</summary>
    bool Remove();
}

/// <summary>A cgroup operation failed (what <see cref="IServiceCgroup.Prepare"/> and the layout detection throw).</summary>
public sealed class CgroupException(string message) : Exception(message);
