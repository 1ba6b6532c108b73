using System.Globalization;

namespace ProcessMaster.Core.Configuration.Values;

/// <summary>The cgroup v2 <c>cpu.max</c> value: a CPU quota per period, in microseconds, or no quota.</summary>
public readonly record struct CpuMax(long? QuotaMicroseconds, long PeriodMicroseconds)
{
    public static CpuMax Unlimited { get; } = new(null, CpuLimit.PeriodMicroseconds);

    /// <summary>
    /// Parses a <c>cpu.max</c> line (<c>max 100000</c>, <c>50000 100000</c>) or a CPU limit
    /// (<c>500m</c>, <c>1.5</c>, <c>MAX</c>).
    /// </summary>
    public static CpuMax Parse(string text)
    {
        var parts = text.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 2)
        {
            return CpuLimit.ParseLimit(text)?.ToCpuMax() ?? Unlimited;
        }

        long? quota = parts[0] == "max" ? null
            : long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var q) && q > 0 ? q : -1;
        return quota != -1 && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var period) && period is >= 1000 and <= 1_000_000
            ? new CpuMax(quota, period)
            : throw new FormatException($"'{text}' is not a valid cpu.max line (\"QUOTA PERIOD\" in microseconds)");
    }

    /// <summary>The line as cpu.max takes it.</summary>
    public override string ToString() =>
        $"{QuotaMicroseconds?.ToString(CultureInfo.InvariantCulture) ?? "max"} {PeriodMicroseconds.ToString(CultureInfo.InvariantCulture)}";
}
