using System.Globalization;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Supervision.Ports;

namespace ProcessMaster.Core.Cgroups;

/// <summary>
/// Writes <c>io_weight</c> and <c>io_bandwidth</c>: <c>io.weight</c> / <c>io.bfq.weight</c> and <c>io.max</c> on
/// cgroup v2, <c>blkio.bfq.weight</c> (or CFQ's <c>blkio.weight</c>) and <c>blkio.throttle.*_device</c> on v1.
/// A disk no longer configured has its ceilings lifted. Nothing here fails a start: I/O limits the kernel
/// or the disk cannot take are warnings, and the rest is still written.
/// </summary>
internal sealed class IoLimitWriter(Func<string, BlockDevice> resolve)
{
    private const int DefaultWeight = 100;
    private const int BfqMaxWeight = 1000;

    private static readonly (string File, Func<IoBandwidthLimit, long?> Rate)[] V1Throttles =
    [
        ("blkio.throttle.read_bps_device", l => l.ReadBytesPerSecond),
        ("blkio.throttle.write_bps_device", l => l.WriteBytesPerSecond),
        ("blkio.throttle.read_iops_device", l => l.ReadIops),
        ("blkio.throttle.write_iops_device", l => l.WriteIops),
    ];

    public void ApplyV2(CgroupLimits limits, string group, List<string> warnings)
    {
        var weight = limits.IoWeight ?? DefaultWeight;
        var ioWeight = Path.Combine(group, "io.weight");
        var bfqWeight = Path.Combine(group, "io.bfq.weight");
        WriteWeight(limits.IoWeight, ioWeight, File.Exists(ioWeight) ? $"default {weight}" : null, bfqWeight, warnings);

        var rules = Resolve(limits.IoBandwidth, warnings);
        var ioMax = Path.Combine(group, "io.max");
        if (!File.Exists(ioMax))
        {
            WarnUnenforceable(rules, "this kernel has no io.max (blk-throttle is not built in)", warnings);
            return;
        }

        foreach (var device in Devices(CgroupFs.Read(ioMax)).Where(d => !rules.ContainsKey(d)))
        {
            TryWrite(ioMax, $"{device} rbps=max wbps=max riops=max wiops=max", warnings);
        }

        foreach (var (device, rule) in rules)
        {
            TryWrite(ioMax, $"{device} rbps={Max(rule.ReadBytesPerSecond)} wbps={Max(rule.WriteBytesPerSecond)} " +
                            $"riops={Max(rule.ReadIops)} wiops={Max(rule.WriteIops)}", warnings);
        }
    }

    public void ApplyV1(CgroupLimits limits, string group, List<string> warnings)
    {
        var bfqWeight = Path.Combine(group, "blkio.bfq.weight");
        var cfqWeight = Path.Combine(group, "blkio.weight");
        // CFQ counts from 10 to 1000 around 500 where v2 counts around 100 (systemd converts the same way).
        var cfq = Math.Clamp((limits.IoWeight ?? DefaultWeight) * 5, 10, 1000);
        WriteWeight(limits.IoWeight, cfqWeight, File.Exists(cfqWeight) && !File.Exists(bfqWeight) ? Text(cfq) : null, bfqWeight, warnings);

        var rules = Resolve(limits.IoBandwidth, warnings);
        foreach (var (file, rate) in V1Throttles)
        {
            var path = Path.Combine(group, file);
            if (!File.Exists(path))
            {
                WarnUnenforceable(rules, $"this kernel has no {file} (blk-throttle is not built in)", warnings);
                return;
            }

            // 0 removes a device's rule.
            foreach (var device in Devices(CgroupFs.Read(path)).Where(d => !rules.TryGetValue(d, out var rule) || rate(rule) is null))
            {
                TryWrite(path, $"{device} 0", warnings);
            }

            foreach (var (device, rule) in rules)
            {
                if (rate(rule) is { } value)
                {
                    TryWrite(path, $"{device} {Text(value)}", warnings);
                }
            }
        }
    }

    /// <summary>
    /// Writes the weight to <paramref name="primary"/> when it has a value for it, and to BFQ's file when
    /// that exists (BFQ takes 1 to 1000); a configured weight with nowhere to go is a warning.
    /// </summary>
    private static void WriteWeight(int? configured, string primary, string? primaryValue, string bfq, List<string> warnings)
    {
        var weight = configured ?? DefaultWeight;
        if (primaryValue is not null)
        {
            TryWrite(primary, primaryValue, warnings);
        }

        if (File.Exists(bfq))
        {
            TryWrite(bfq, Text(Math.Min(weight, BfqMaxWeight)), warnings);
            if (primaryValue is null && weight > BfqMaxWeight)
            {
                warnings.Add($"io_weight {weight} is above what the bfq I/O scheduler takes; {BfqMaxWeight} applied");
            }
        }
        else if (primaryValue is null && configured is not null)
        {
            warnings.Add("io_weight cannot be applied: this kernel offers no I/O weights here " +
                         "(they need the bfq I/O scheduler, or blk-iocost on cgroup v2)");
        }
    }

    /// <summary>The configured ceilings by disk; a device that cannot be found is a warning and left out.</summary>
    private Dictionary<string, IoBandwidthLimit> Resolve(IEnumerable<IoBandwidthLimit> limits, List<string> warnings)
    {
        var rules = new Dictionary<string, IoBandwidthLimit>(StringComparer.Ordinal);
        var configuredAs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var limit in limits)
        {
            BlockDevice disk;
            try
            {
                disk = resolve(limit.Device);
            }
            catch (CgroupException e)
            {
                warnings.Add($"{e.Message}; its io_bandwidth limit is not applied");
                continue;
            }

            if (disk.Note is not null)
            {
                warnings.Add(disk.Note);
            }

            if (configuredAs.TryGetValue(disk.Numbers, out var first))
            {
                warnings.Add($"io_bandwidth devices {first} and {limit.Device} are the same disk {disk.Name}; only the entry for {first} applies");
                continue;
            }

            configuredAs[disk.Numbers] = limit.Device;
            rules[disk.Numbers] = limit;
        }

        return rules;
    }

    private static void WarnUnenforceable(Dictionary<string, IoBandwidthLimit> rules, string reason, List<string> warnings)
    {
        if (rules.Count > 0)
        {
            warnings.Add($"io_bandwidth cannot be enforced: {reason}");
        }
    }

    private static void TryWrite(string path, string value, List<string> warnings)
    {
        if (!CgroupFs.TryWrite(path, value, out var error))
        {
            warnings.Add($"cannot write '{value}' to {path}: {error}");
        }
    }

    /// <summary>The MAJ:MIN at the start of each line of io.max or a blkio.throttle file.</summary>
    internal static IEnumerable<string> Devices(string? text) =>
        (text ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries)
        .Select(line => line.Split(' ', 2)[0])
        .Where(Configuration.Values.BlockDeviceName.IsNumbers)
        .Distinct(StringComparer.Ordinal);

    private static string Max(long? value) => value is { } v ? Text(v) : "max";

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}
