namespace ProcessMaster.Core.Cgroups;

/// <summary>
/// What a service's cgroup says about its use of the machine, for status, perf_metrics and /metrics: each
/// reading goes through the host's layout (a controller on v2 or on v1), so that every view of a hybrid host
/// shows the same numbers. Supervision does not use it.
/// </summary>
public interface ICgroupReadings
{
    /// <summary>Memory now and the CPU time used (status).</summary>
    CgroupUsage ReadUsage();

    /// <summary>CPU split, memory now and at its peak, swap and OOM kills (/metrics, perf_metrics).</summary>
    CgroupCounters ReadCounters();

    /// <summary>CPU throttling and I/O (and the I/O ceilings in force, <paramref name="withIoLimits"/>).</summary>
    CgroupStats ReadStats(bool withIoLimits = true, bool withThrottling = true);

    /// <summary>The cpu.stat counters: v2's, with a v1 cpu controller's throttling counters under their v2 names.</summary>
    Dictionary<string, long> ReadCpuStat();

    /// <summary>A pressure (PSI) file of the group, e.g. <c>cpu.pressure</c>; null where the kernel has none.</summary>
    PressureStat? ReadPressure(string file);
}
