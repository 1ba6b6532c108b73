using System.Globalization;

namespace ProcessMaster.Core.Configuration.Values;

/// <summary>
/// The one duration grammar of processmaster: one or more <c>&lt;number&gt;&lt;unit&gt;</c> groups with units
/// <c>ms s m h d</c> (case-insensitive), e.g. <c>500ms</c>, <c>30s</c>, <c>1.5h</c>, <c>1h30m</c>.
/// A bare number is only accepted where the field's unit is milliseconds.
/// </summary>
public static class DurationText
{
    public static TimeSpan Parse(string text, bool bareNumberIsMilliseconds = false)
    {
        var s = text.Trim().ToLowerInvariant();
        if (s.Length == 0)
        {
            throw new FormatException("empty duration; use e.g. 500ms, 30s, 10m, 2h, 1d");
        }

        if (bareNumberIsMilliseconds && long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
        {
            return TimeSpan.FromMilliseconds(ms);
        }

        var total = 0m;
        var i = 0;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
            {
                i++;
            }

            if (start == i || !decimal.TryParse(s[start..i], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                throw new FormatException($"'{text}' is not a duration; use e.g. 500ms, 30s, 10m, 2h, 1d or 1h30m");
            }

            var unitStart = i;
            while (i < s.Length && char.IsAsciiLetter(s[i]))
            {
                i++;
            }

            decimal unitMs = s[unitStart..i] switch
            {
                "ms" => 1m,
                "s" => 1000m,
                "m" => 60_000m,
                "h" => 3_600_000m,
                "d" => 86_400_000m,
                "" => throw new FormatException($"'{text}' needs a unit: ms, s, m, h or d"),
                var u => throw new FormatException($"'{text}' has an unknown unit '{u}'; use ms, s, m, h or d"),
            };
            total += number * unitMs;
        }

        if (total > (decimal)TimeSpan.MaxValue.TotalMilliseconds / 2)
        {
            throw new FormatException($"'{text}' is too long");
        }

        return TimeSpan.FromMilliseconds((double)Math.Round(total));
    }

    /// <summary>Renders a duration compactly for humans and events (<c>1h30m</c>, <c>250ms</c>).</summary>
    public static string Format(TimeSpan value)
    {
        if (value < TimeSpan.FromSeconds(1))
        {
            return $"{(long)value.TotalMilliseconds}ms";
        }

        var parts = new List<string>(4);
        if (value.Days > 0) parts.Add($"{value.Days}d");
        if (value.Hours > 0) parts.Add($"{value.Hours}h");
        if (value.Minutes > 0) parts.Add($"{value.Minutes}m");
        if (value.Seconds > 0 || parts.Count == 0) parts.Add($"{value.Seconds}s");
        if (value.Milliseconds > 0 && value < TimeSpan.FromMinutes(1)) parts.Add($"{value.Milliseconds}ms");
        return string.Concat(parts);
    }
}
