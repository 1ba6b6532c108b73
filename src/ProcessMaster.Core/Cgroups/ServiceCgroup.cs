using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Supervision.Ports;

namespace ProcessMaster.Core.Cgroups;

/// <summary>Memory and CPU use of a group at one moment.</summary>
/// <param name="CpuUsageMicroseconds">CPU time used since the group was created.</param>
public sealed record CgroupUsage(long? MemoryBytes, long? CpuUsageMicroseconds);

/// <summary>Counters for /metrics beyond <see cref="CgroupUsage"/>; null where the host has no such file.</summary>
/// <param name="MemoryPeakBytes">The most memory the group used at once (v2 memory.peak, v1 max_usage_in_bytes).</param>
/// <param name="OomKills">Processes the kernel's OOM killer ended inside the group.</param>
public sealed record CgroupCounters(long? UserMicroseconds, long? SystemMicroseconds, long? MemoryBytes, long? MemoryPeakBytes, long? SwapBytes, long? OomKills);

/// <summary>
/// One service's cgroups: <c>pm-&lt;app&gt;</c> on the v2 hierarchy (its processes in <c>run/</c>) plus, on
/// hybrid hosts, a parallel <c>pm-&lt;app&gt;</c> in each v1 hierarchy that carries a limit controller.
/// </summary>
public sealed class ServiceCgroup(CgroupLayout layout, LimitWriter limits, string app) : IServiceCgroup, ICgroupReadings
{
    public string App { get; } = app;

    /// <summary><c>pm-&lt;app&gt;</c> on the v2 hierarchy: limits, cgroup.events, cgroup.kill.</summary>
    public string Group { get; } = layout.ServiceGroup(app);

    public string RunGroup { get; } = layout.ServiceRunGroup(app);

    /// <summary>The cgroup.procs files a new process of this service joins before it executes.</summary>
    public IReadOnlyList<string> ProcsFiles { get; } =
    [
        Path.Combine(layout.ServiceRunGroup(app), "cgroup.procs"),
        .. layout.V1Masters.Keys.Select(c => layout.V1ServiceGroup(c, app)).Distinct(StringComparer.Ordinal)
            .Select(g => Path.Combine(g, "cgroup.procs")),
    ];

    // The groups status reads from for every service every time, held open (see CgroupDirectory).
    private static readonly string RunProcsFile = Path.Combine(CgroupLayout.RunLeaf, "cgroup.procs");
    private readonly CgroupDirectory _directory = new(layout.ServiceGroup(app));
    private readonly CgroupDirectory? _v1MemoryDirectory = layout.Backends[CgroupController.Memory] == LimitBackendKind.V1
        ? new CgroupDirectory(layout.V1ServiceGroup(CgroupController.Memory, app))
        : null;

    private readonly CgroupDirectory? _v1CpuDirectory = layout.Backends[CgroupController.Cpu] == LimitBackendKind.V1
        ? new CgroupDirectory(layout.V1ServiceGroup(CgroupController.Cpu, app))
        : null;

    private readonly CgroupDirectory? _v1IoDirectory = layout.Backends[CgroupController.Io] == LimitBackendKind.V1
        ? new CgroupDirectory(layout.V1ServiceGroup(CgroupController.Io, app))
        : null;

    private readonly string? _memoryFile = layout.Backends[CgroupController.Memory] switch
    {
        LimitBackendKind.V2 => "memory.current",
        LimitBackendKind.V1 => "memory.usage_in_bytes",
        LimitBackendKind.Unavailable => null,
    };

    private IEnumerable<string> V1Groups =>
        layout.V1Masters.Keys.Select(c => layout.V1ServiceGroup(c, App)).Distinct(StringComparer.Ordinal);

    /// <summary>Creates the groups if needed and writes the limits; returns warnings.</summary>
    public IReadOnlyList<string> Prepare(ResourceSettings resources)
    {
        CgroupFs.Create(RunGroup);
        foreach (var group in V1Groups)
        {
            CgroupFs.Create(group);
        }

        GroupKiller.Thaw(layout, Group, V1FreezerGroup);
        // Let the service use controllers in cgroups it creates next to run/.
        var warnings = new List<string>(CgroupFs.EnableSubtreeControllers(Group, null));
        warnings.AddRange(limits.Apply(CgroupLimits.From(resources), Group, c => layout.V1ServiceGroup(c, App)));
        return warnings;
    }

    public IReadOnlyList<string> CheckProcsFiles(string check)
    {
        var group = layout.ServiceCheckGroup(App, check);
        CgroupFs.Create(group);
        return [Path.Combine(group, "cgroup.procs"), .. ProcsFiles.Skip(1)];
    }

    public void EmptyCheck(string check)
    {
        var group = layout.ServiceCheckGroup(App, check);
        GroupKiller.Kill(layout, group, v1FreezerGroup: null); // the service's own freezer would hold the service too
        // Gone once the kill has landed; one still busy is emptied by the next check, or with the service.
        CgroupFs.RemoveTree(group);
    }

    public bool Exists => Directory.Exists(Group);

    public bool IsPopulated => layout.Features.Has(KernelFeature.CgroupEvents) ? CgroupFs.IsPopulated(_directory) : Pids().Count > 0;

    /// <summary>Every pid in the service's subtree, sorted.</summary>
    public List<int> Pids()
    {
        // The usual layout is pm-<app> with only run/ below it: two reads instead of a directory walk.
        if (CgroupFs.ReadKeyedNumber(_directory, "cgroup.stat", "nr_descendants "u8) == 1)
        {
            var pids = new List<int>();
            CgroupFs.ReadPids(_directory, "cgroup.procs", pids);
            CgroupFs.ReadPids(_directory, RunProcsFile, pids);
            pids.Sort();
            return pids;
        }

        return CgroupFs.ReadPidsRecursive(Group);
    }

    /// <summary>SIGKILLs every process in the subtree, so that none escapes (<see cref="GroupKiller"/>).</summary>
    public void Kill() => GroupKiller.Kill(layout, Group, V1FreezerGroup);

    /// <summary>The service's v1 freezer group, on kernels where only it can hold the service still for a kill.</summary>
    private string? V1FreezerGroup => layout.UsesV1Freezer ? layout.V1ServiceGroup(CgroupController.Freezer, App) : null;

    /// <summary>
    /// Sends <paramref name="signal"/> to every process in the subtree, checking each is still in this group,
    /// so a pid reused by another process is never signalled. Returns how many got it.
    /// </summary>
    public int Signal(int signal) => GroupSignals.Send(layout, Group, Pids(), signal);

    public bool SignalOne(int pid, int signal) => GroupSignals.Send(layout, Group, [pid], signal) == 1;

    public CgroupUsage ReadUsage() =>
        new(_memoryFile is null ? null : CgroupFs.ReadNumber(_v1MemoryDirectory ?? _directory, _memoryFile),
            CgroupFs.ReadKeyedNumber(_directory, "cpu.stat", "usage_usec "u8));

    public CgroupCounters ReadCounters()
    {
        var (user, system) = CgroupFs.ReadCpuTimes(_directory);
        switch (layout.Backends[CgroupController.Memory])
        {
            case LimitBackendKind.V2:
                return new CgroupCounters(user, system, CgroupFs.ReadNumber(_directory, "memory.current"),
                    layout.Features.Has(KernelFeature.MemoryPeak) ? CgroupFs.ReadNumber(_directory, "memory.peak") : null,
                    CgroupFs.ReadNumber(_directory, "memory.swap.current"), CgroupFs.ReadKeyedNumber(_directory, "memory.events", "oom_kill "u8));
            case LimitBackendKind.V1:
                var memory = _v1MemoryDirectory!;
                var ram = CgroupFs.ReadNumber(memory, "memory.usage_in_bytes");
                var swap = CgroupFs.ReadNumber(memory, "memory.memsw.usage_in_bytes") is { } both && ram is { } used ? Math.Max(0, both - used) : (long?)null;
                return new CgroupCounters(user, system, ram, CgroupFs.ReadNumber(memory, "memory.max_usage_in_bytes"), swap,
                    CgroupFs.ReadKeyedNumber(memory, "memory.oom_control", "oom_kill "u8));
            default:
                return new CgroupCounters(user, system, null, null, null, null);
        }
    }

    /// <param name="withIoLimits">Also read the io.max (v1: blkio.throttle) rules in force.</param>
    /// <param name="withThrottling">Also read CPU throttling, which only a CPU quota causes.</param>
    public CgroupStats ReadStats(bool withIoLimits = true, bool withThrottling = true)
    {
        var throttling = withThrottling ? CgroupStatsParser.Throttling(CgroupFs.Read(_v1CpuDirectory ?? _directory, "cpu.stat")) : null;
        switch (layout.Backends[CgroupController.Io])
        {
            case LimitBackendKind.V2:
                var stat = CgroupFs.Read(_directory, "io.stat");
                return new CgroupStats(throttling, stat is null ? null : CgroupStatsParser.IoStatV2(stat),
                    withIoLimits ? CgroupFs.Read(_directory, "io.max")?.Split('\n', StringSplitOptions.RemoveEmptyEntries) : null);
            case LimitBackendKind.V1:
                var io = _v1IoDirectory!;
                // The recursive counters include groups the service made below its own.
                var bytes = CgroupFs.Read(io, "blkio.throttle.io_service_bytes_recursive") ?? CgroupFs.Read(io, "blkio.throttle.io_service_bytes");
                var ops = CgroupFs.Read(io, "blkio.throttle.io_serviced_recursive") ?? CgroupFs.Read(io, "blkio.throttle.io_serviced");
                return new CgroupStats(throttling, bytes is null ? null : CgroupStatsParser.IoStatV1(bytes, ops), !withIoLimits ? null :
                    CgroupStatsParser.IoMaxFromV1(CgroupFs.Read(io, "blkio.throttle.read_bps_device"), CgroupFs.Read(io, "blkio.throttle.write_bps_device"),
                        CgroupFs.Read(io, "blkio.throttle.read_iops_device"), CgroupFs.Read(io, "blkio.throttle.write_iops_device")));
            default:
                return new CgroupStats(throttling, null, null);
        }
    }

    public PressureStat? ReadPressure(string file) => layout.Features.Has(KernelFeature.Pressure) ? CgroupFs.ReadPressure(_directory, file) : null;

    public Dictionary<string, long> ReadCpuStat() =>
        CgroupStatsParser.CpuStat(CgroupFs.Read(_directory, "cpu.stat"), _v1CpuDirectory is null ? null : CgroupFs.Read(_v1CpuDirectory, "cpu.stat"));

    /// <summary><c>usage_usec</c> from cpu.stat, which cgroup v2 keeps even without the cpu controller.</summary>
    internal static long? CpuUsage(string group) => CgroupFs.ReadKeyedNumber(Path.Combine(group, "cpu.stat"), "usage_usec "u8);

    /// <summary>Removes the service's groups (v2 subtree and v1 groups); they must hold no process.</summary>
    public bool Remove()
    {
        var removed = CgroupFs.RemoveTree(Group);
        foreach (var group in V1Groups)
        {
            removed &= CgroupFs.RemoveTree(group);
        }

        return removed;
    }

    /// <summary>Closes the held group directories (the groups themselves stay unless <see cref="Remove"/> ran).</summary>
    public void Dispose()
    {
        _directory.Dispose();
        _v1MemoryDirectory?.Dispose();
        _v1CpuDirectory?.Dispose();
        _v1IoDirectory?.Dispose();
    }
}
