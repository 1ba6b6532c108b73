using System.Globalization;

namespace ProcessMaster.Core.Configuration.Values;

/// <summary>
/// A CPU limit in millicores: <c>100m</c> is a tenth of a core, <c>1.5</c> one and a half cores.
/// Written to cgroup v2 <c>cpu.max</c> as <c>"quota period"</c> with a 100 ms period.
/// </summary>
public readonly record struct CpuLimit(long Millicores)
{
    public const long PeriodMicroseconds = 100_000;

    public long QuotaMicroseconds => Millicores * PeriodMicroseconds / 1000;

    public CpuMax ToCpuMax() => new(QuotaMicroseconds, PeriodMicroseconds);

    public static CpuLimit Parse(string text)
    {
        var s = text.Trim();
        if (s.EndsWith('m') || s.EndsWith('M'))
        {
            if (long.TryParse(s[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var mc) && mc > 0)
            {
                return Check(new CpuLimit(mc), text);
            }

            throw new FormatException($"'{text}' is not a CPU limit; use millicores (100m) or cores (1.5)");
        }

        if (decimal.TryParse(s, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var cores) && cores > 0)
        {
            return Check(new CpuLimit((long)Math.Round(cores * 1000m, MidpointRounding.AwayFromZero)), text);
        }

        throw new FormatException($"'{text}' is not a CPU limit; use millicores (100m), cores (1.5) or MAX");
    }

    /// <summary>Parses a limit that may also be <c>MAX</c> (unlimited, returned as null).</summary>
    public static CpuLimit? ParseLimit(string text) => ByteSize.IsMax(text) ? null : Parse(text);

    private static CpuLimit Check(CpuLimit limit, string text) =>
        // The kernel's minimum quota is 1 ms per 100 ms period.
        limit.QuotaMicroseconds >= 1000 ? limit : throw new FormatException($"'{text}' is below the kernel's minimum of 10m");

    public override string ToString() =>
        Millicores % 1000 == 0 ? (Millicores / 1000).ToString(CultureInfo.InvariantCulture) : $"{Millicores}m";
}
