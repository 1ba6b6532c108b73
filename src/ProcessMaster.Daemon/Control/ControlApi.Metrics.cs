using ProcessMaster.Core.Configuration.Values;
using ProcessMaster.Core.Cgroups;
using ProcessMaster.Protocol;

namespace ProcessMaster.Daemon.Control;

/// <summary><c>perf_metrics</c>: memory, swap, CPU (with throttling), I/O and pressure of a service's cgroup.</summary>
internal sealed partial class ControlApi
{
    private PerfMetrics Metrics(string name)
    {
        var service = manager.Find(name);
        var readings = service.Readings();
        var limits = service.Snapshot.Definition.Resources;
        var cpuMax = limits.Cpu?.ToCpuMax() ?? CpuMax.Unlimited;
        var counters = readings.ReadCounters();
        var stats = readings.ReadStats();
        return new PerfMetrics(
            name,
            service.Cgroup.Group,
            counters.MemoryBytes,
            limits.MemoryMax,
            counters.SwapBytes,
            limits.SwapMax,
            cpuMax.ToString(),
            readings.ReadCpuStat(),
            Pressure(readings.ReadPressure("cpu.pressure")),
            Pressure(readings.ReadPressure("memory.pressure")),
            Pressure(readings.ReadPressure("io.pressure")),
            service.Cgroup.Pids(),
            cpuMax.QuotaMicroseconds is { } quota ? (double)quota / cpuMax.PeriodMicroseconds : null,
            stats.Throttling is { } t ? new CpuThrottlingInfo(t.Periods, t.Throttled, t.ThrottledTime.TotalSeconds) : null,
            limits.IoWeight,
            stats.IoMax?.ToList(),
            stats.Io is { } io ? IoUsageOf(io) : null);
    }

    private static IoUsage IoUsageOf(IReadOnlyList<IoDeviceStat> devices) => new(
        devices.Select(d => new IoDeviceUsage(d.Device, BlockDevices.Name(d.Device), d.ReadBytes, d.WriteBytes, d.ReadOps, d.WriteOps)).ToList(),
        devices.Sum(d => d.ReadBytes), devices.Sum(d => d.WriteBytes), devices.Sum(d => d.ReadOps), devices.Sum(d => d.WriteOps));

    private static Pressure? Pressure(PressureStat? stat) => stat is null ? null : new Pressure(Level(stat.Some), Level(stat.Full));

    private static PressureLine? Level(PressureLevel? level) =>
        level is { } l ? new PressureLine(l.Avg10, l.Avg60, l.Avg300, l.TotalMicroseconds) : null;
}
