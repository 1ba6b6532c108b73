using ProcessMaster.Core.Cgroups;
using ProcessMaster.Core.Configuration;

namespace ProcessMaster.Core.Supervision.Ports;

/// <summary>One service's cgroup, as its supervisor and status use it.</summary>
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

    CgroupUsage ReadUsage();

    /// <summary>CPU throttling and I/O (and the I/O ceilings in force, <paramref name="withIoLimits"/>), for perf_metrics and /metrics.</summary>
    CgroupStats ReadStats(bool withIoLimits = true, bool withThrottling = true);

    /// <summary>A pressure (PSI) file of the group, e.g. <c>cpu.pressure</c>; null where the kernel has none.</summary>
    string? ReadPressure(string file);

    /// <summary>The some and full stall microseconds of a pressure file; null where the kernel has none.</summary>
    (long? Some, long? Full) ReadPressureTotals(string file);

    /// <summary>CPU split, memory now and at its peak, swap and OOM kills, for /metrics.</summary>
    CgroupCounters ReadCounters();

    /// <summary>Creates the groups if needed and writes the limits; returns warnings.</summary>
    IReadOnlyList<string> Prepare(ResourceSettings resources);

    /// <summary>SIGKILLs every process in the group at once.</summary>
    void Kill();

    /// <summary>Sends <paramref name="signal"/> to every process in the group; returns how many got it.</summary>
    int Signal(int signal);

    /// <summary>Removes the groups; they must hold no process.</summary>
    bool Remove();
}
