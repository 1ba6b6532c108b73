using ProcessMaster.Core.Configuration.Values;
using System.Globalization;
using ProcessMaster.Core.Cgroups;
using ProcessMaster.Protocol;

namespace ProcessMaster.Daemon.Control;

/// <summary><c>perf_metrics</c>: memory, swap, CPU (with throttling), I/O and pressure of a service's cgroup.</summary>
internal sealed partial class ControlApi
{
    private PerfMetrics Metrics(string name)
    {
        var service = Find(name);
        var group = service.Cgroup.Group;
        var usage = service.Cgroup.ReadUsage();
        var cpuStat = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in (CgroupFs.Read(Path.Combine(group, "cpu.stat")) ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ');
            if (parts.Length == 2 && long.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            {
                cpuStat[parts[0]] = value;
            }
        }

        var limits = service.Snapshot.Definition.Resources;
        var cpuMax = limits.Cpu?.ToCpuMax() ?? CpuMax.Unlimited;
        var stats = service.Cgroup.ReadStats();
        return new PerfMetrics(
            name,
            group,
            usage.MemoryBytes,
            limits.MemoryMax,
            CgroupFs.ReadNumber(Path.Combine(group, "memory.swap.current")),
            limits.SwapMax,
            cpuMax.ToString(),
            cpuStat,
            ParsePressure(service.Cgroup.ReadPressure("cpu.pressure")),
            ParsePressure(service.Cgroup.ReadPressure("memory.pressure")),
            ParsePressure(service.Cgroup.ReadPressure("io.pressure")),
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

    /// <summary>Parses a PSI file: "some avg10=0.00 avg60=0.00 avg300=0.00 total=0" and the same for "full".</summary>
    internal static Pressure? ParsePressure(string? text)
    {
        if (text is null)
        {
            return null;
        }

        PressureLine? some = null, full = null;
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(' ');
            var values = fields.Skip(1).Select(f => f.Split('=')).Where(kv => kv.Length == 2)
                .ToDictionary(kv => kv[0], kv => kv[1], StringComparer.Ordinal);
            double Avg(string key) => double.TryParse(values.GetValueOrDefault(key), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : 0;
            var parsed = new PressureLine(Avg("avg10"), Avg("avg60"), Avg("avg300"),
                long.TryParse(values.GetValueOrDefault("total"), out var total) ? total : 0);
            if (fields[0] == "some")
            {
                some = parsed;
            }
            else if (fields[0] == "full")
            {
                full = parsed;
            }
        }

        return new Pressure(some, full);
    }
}
