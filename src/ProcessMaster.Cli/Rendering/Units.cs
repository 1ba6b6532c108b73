using System.Globalization;

namespace ProcessMaster.Cli.Rendering;

/// <summary>Compact human renderings for tables.</summary>
internal static class Units
{
    /// <summary><c>2d03h</c>, <c>3h07m</c>, <c>5m03s</c>, <c>42s</c>.</summary>
    public static string Uptime(double seconds)
    {
        var total = (long)Math.Round(seconds);
        var days = total / 86400;
        var hours = total % 86400 / 3600;
        var minutes = total % 3600 / 60;
        var secs = total % 60;
        return days > 0 ? $"{days}d{hours:00}h"
            : hours > 0 ? $"{hours}h{minutes:00}m"
            : minutes > 0 ? $"{minutes}m{secs:00}s"
            : $"{secs}s";
    }

    /// <summary>
    /// Bytes in binary units: <c>64.0 MiB</c>, or for tables, <paramref name="compact"/>, one letter
    /// (<c>512B</c>, <c>1.2K</c>, <c>64M</c>).
    /// </summary>
    public static string Bytes(long bytes, bool compact = false)
    {
        string[] units = compact ? ["B", "K", "M", "G", "T"] : ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        if (compact)
        {
            return value.ToString(unit == 0 || value >= 100 ? "0" : "0.#", CultureInfo.InvariantCulture) + units[unit];
        }

        return unit == 0 ? $"{bytes} B" : value.ToString("0.0", CultureInfo.InvariantCulture) + " " + units[unit];
    }
}
