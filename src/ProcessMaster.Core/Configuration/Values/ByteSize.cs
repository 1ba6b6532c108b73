using System.Globalization;

namespace ProcessMaster.Core.Configuration.Values;

/// <summary>
/// Sizes such as <c>10m</c>, <c>64MiB</c>, <c>1.5GiB</c> or a plain byte count. Decimal units (k, m, g, t)
/// are powers of 1000, binary ones (ki, mi, gi, ti) powers of 1024; one trailing <c>b</c> is allowed
/// and case does not matter. A fraction needs a unit, since there is no half byte.
/// </summary>
public static class ByteSize
{
    public static long Parse(string text)
    {
        var trimmed = text.Trim();
        var split = 0;
        while (split < trimmed.Length && (char.IsAsciiDigit(trimmed[split]) || trimmed[split] == '.'))
        {
            split++;
        }

        var number = trimmed[..split];
        var unit = trimmed[split..].Trim().ToLowerInvariant();
        if (number.Length == 0 || !decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
        {
            throw new FormatException($"'{text}' is not a size; use bytes or a number with a unit, e.g. 10m, 64MiB, 1.5GiB");
        }

        if (unit.EndsWith('b'))
        {
            unit = unit[..^1];
        }

        decimal multiplier = unit switch
        {
            "" => 1m,
            "k" => 1e3m,
            "m" => 1e6m,
            "g" => 1e9m,
            "t" => 1e12m,
            "ki" => 1024m,
            "mi" => 1024m * 1024,
            "gi" => 1024m * 1024 * 1024,
            "ti" => 1024m * 1024 * 1024 * 1024,
            _ => throw new FormatException($"'{text}' has an unknown size unit; use k, m, g, t (x1000) or Ki, Mi, Gi, Ti (x1024)"),
        };

        if (unit.Length == 0 && number.Contains('.'))
        {
            throw new FormatException($"'{text}': a fraction needs a unit (e.g. 1.5GiB)");
        }

        var bytes = value * multiplier;
        if (bytes > long.MaxValue)
        {
            throw new FormatException($"'{text}' is too large");
        }

        return (long)Math.Round(bytes, MidpointRounding.AwayFromZero);
    }

    /// <summary>Parses a limit that may also be <c>MAX</c> (unlimited, returned as null).</summary>
    public static long? ParseLimit(string text) => IsMax(text) ? null : Parse(text);

    internal static bool IsMax(string text) => text.Trim().Equals("max", StringComparison.OrdinalIgnoreCase);
}
