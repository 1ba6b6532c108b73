using System.Globalization;

namespace ProcessMaster.Core.Cgroups;

/// <summary>How often the CPU quota held a group back.</summary>
/// <param name="Periods">Enforcement periods in which the group ran.</param>
/// <param name="Throttled">Periods in which it used up its quota and had to wait.</param>
public sealed record CpuThrottling(long Periods, long Throttled, TimeSpan ThrottledTime);

/// <summary>I/O a group did on one disk since it was created.</summary>
/// <param name="Device">MAJ:MIN.</param>
public sealed record IoDeviceStat(string Device, long ReadBytes, long WriteBytes, long ReadOps, long WriteOps);

/// <summary>CPU throttling, I/O per disk and the I/O ceilings in force; null where the host has no such file.</summary>
/// <param name="IoMax">One line per limited disk, in io.max's form (v1's blkio.throttle rules are written the same way).</param>
public sealed record CgroupStats(CpuThrottling? Throttling, IReadOnlyList<IoDeviceStat>? Io, IReadOnlyList<string>? IoMax);

/// <summary>Parses the statistics files of cgroup v2 and their v1 counterparts into one shape.</summary>
public static class CgroupStatsParser
{
    /// <summary>cpu.stat: v2 gives <c>throttled_usec</c>, v1 <c>throttled_time</c> in nanoseconds.</summary>
    public static CpuThrottling? Throttling(string? cpuStat)
    {
        long? periods = null, throttled = null, usec = null, nsec = null;
        foreach (var (key, value) in KeyValues(cpuStat))
        {
            switch (key)
            {
                case "nr_periods": periods = value; break;
                case "nr_throttled": throttled = value; break;
                case "throttled_usec": usec = value; break;
                case "throttled_time": nsec = value; break;
            }
        }

        if (periods is null || throttled is null || (usec ?? nsec) is null)
        {
            return null;
        }

        return new CpuThrottling(periods.Value, throttled.Value,
            usec is { } u ? TimeSpan.FromMicroseconds(u) : TimeSpan.FromTicks(nsec!.Value / 100));
    }

    /// <summary>
    /// The cpu.stat counters as v2 names them: v2's own (<c>usage_usec</c>, <c>user_usec</c>, …) and, where the cpu
    /// controller is on v1, its throttling counters (<c>nr_periods</c>, <c>nr_throttled</c>, <c>throttled_time</c> in
    /// nanoseconds as <c>throttled_usec</c>).
    /// </summary>
    public static Dictionary<string, long> CpuStat(string? v2, string? v1)
    {
        var counters = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (key, value) in KeyValues(v2))
        {
            counters[key] = value;
        }

        foreach (var (key, value) in KeyValues(v1))
        {
            switch (key)
            {
                case "nr_periods" or "nr_throttled": counters[key] = value; break;
                case "throttled_time": counters["throttled_usec"] = value / 1000; break;
            }
        }

        return counters;
    }

    /// <summary>v2 io.stat: <c>254:0 rbytes=… wbytes=… rios=… wios=… dbytes=… dios=…</c> per disk.</summary>
    public static List<IoDeviceStat> IoStatV2(string? text)
    {
        var devices = new List<IoDeviceStat>();
        foreach (var line in Lines(text))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            long Field(string name) => fields.Skip(1).Select(f => f.Split('=', 2))
                .Where(kv => kv.Length == 2 && kv[0] == name).Select(kv => Number(kv[1]) ?? 0).FirstOrDefault();
            devices.Add(new IoDeviceStat(fields[0], Field("rbytes"), Field("wbytes"), Field("rios"), Field("wios")));
        }

        return devices;
    }

    /// <summary>
    /// v1 blkio.throttle.io_service_bytes and io_serviced: <c>254:0 Read N</c>, <c>254:0 Write N</c>, …,
    /// and a <c>Total N</c> line, which is left out.
    /// </summary>
    public static List<IoDeviceStat> IoStatV1(string? serviceBytes, string? serviced)
    {
        var bytes = ReadWrite(serviceBytes);
        var ops = ReadWrite(serviced);
        return bytes.Keys.Union(ops.Keys).Order(StringComparer.Ordinal)
            .Select(d => new IoDeviceStat(d, bytes.GetValueOrDefault(d).Read, bytes.GetValueOrDefault(d).Write,
                ops.GetValueOrDefault(d).Read, ops.GetValueOrDefault(d).Write))
            .ToList();
    }

    /// <summary>v1 throttle rules (<c>254:0 5242880</c> in each of the four files) as io.max lines.</summary>
    public static List<string> IoMaxFromV1(string? readBps, string? writeBps, string? readIops, string? writeIops)
    {
        var files = new[] { readBps, writeBps, readIops, writeIops }.Select(DeviceValues).ToArray();
        string Rate(int file, string device) => files[file].TryGetValue(device, out var v) && v > 0 ? v.ToString(CultureInfo.InvariantCulture) : "max";
        return files.SelectMany(f => f.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
            .Select(d => $"{d} rbps={Rate(0, d)} wbps={Rate(1, d)} riops={Rate(2, d)} wiops={Rate(3, d)}")
            .ToList();
    }

    private static Dictionary<string, (long Read, long Write)> ReadWrite(string? text)
    {
        var result = new Dictionary<string, (long Read, long Write)>(StringComparer.Ordinal);
        foreach (var line in Lines(text))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length != 3 || Number(fields[2]) is not { } value)
            {
                continue; // "Total N"
            }

            var current = result.GetValueOrDefault(fields[0]);
            result[fields[0]] = fields[1] switch
            {
                "Read" => current with { Read = value },
                "Write" => current with { Write = value },
                _ => current,
            };
        }

        return result;
    }

    private static Dictionary<string, long> DeviceValues(string? text)
    {
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in Lines(text))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 2 && Number(fields[1]) is { } value)
            {
                result[fields[0]] = value;
            }
        }

        return result;
    }

    private static IEnumerable<(string Key, long Value)> KeyValues(string? text)
    {
        foreach (var line in Lines(text))
        {
            var fields = line.Split(' ');
            if (fields.Length == 2 && Number(fields[1]) is { } value)
            {
                yield return (fields[0], value);
            }
        }
    }

    private static IEnumerable<string> Lines(string? text) => (text ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static long? Number(string text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;
}
