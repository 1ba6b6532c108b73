using System.Globalization;
using ProcessMaster.Core.Configuration;

namespace ProcessMaster.Core.Logs;

/// <summary>How one log file rotates (from the service's <c>logs:</c> section).</summary>
public sealed record RotationSettings(RotationMode Mode, long SizeLimit, int? Backups, RotationFrequency Frequency, TimeSpan? MaxAge, bool Compress)
{
    public static RotationSettings From(LogSettings logs) =>
        new(logs.RotationMode, logs.RotationSize, logs.RotationBackups, logs.RotationFrequency, logs.RotationMaxAge, logs.CompressionEnabled);

    /// <summary>Size rotation without compression or age limit (tests, simple files).</summary>
    public static RotationSettings BySize(long limit, int backups, bool compress) =>
        new(RotationMode.Size, limit, backups, RotationFrequency.None, null, compress);
}

/// <summary>Pure decisions of log rotation: where to cut a write, and which period a moment belongs to.</summary>
public static class RotationPolicy
{
    /// <summary>
    /// How many bytes of <paramref name="data"/> to write before rotating, or -1 to write it all and
    /// not rotate. Cuts after a newline whenever possible, so lines are not split across files: after the
    /// last line that fits; else, when the file ends at a line end, before the data; else after the line
    /// under way (overshooting); else (no newline at all) before the data once the file is full.
    /// </summary>
    public static int SizeSplit(long currentSize, ReadOnlySpan<byte> data, long limit, bool atLineStart)
    {
        if (limit <= 0 || currentSize + data.Length <= limit)
        {
            return -1;
        }

        var room = (int)Math.Clamp(limit - currentSize, 0, data.Length);
        var lastFitting = data[..room].LastIndexOf((byte)'\n');
        if (lastFitting >= 0)
        {
            return lastFitting + 1;
        }

        if (atLineStart && currentSize > 0)
        {
            return 0;
        }

        var first = data.IndexOf((byte)'\n');
        if (first >= 0)
        {
            return first + 1;
        }

        return currentSize >= limit ? 0 : -1;
    }

    /// <summary>The name of the period a local time belongs to, used to name the rotated file that holds it.</summary>
    public static string PeriodName(DateTimeOffset localTime, RotationFrequency frequency) => frequency switch
    {
        RotationFrequency.Minutely => localTime.ToString("yyyy-MM-dd_HH-mm", CultureInfo.InvariantCulture),
        RotationFrequency.Hourly => localTime.ToString("yyyy-MM-dd_HH", CultureInfo.InvariantCulture),
        RotationFrequency.Daily => localTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        RotationFrequency.Weekly => $"{ISOWeek.GetYear(localTime.DateTime):0000}-W{ISOWeek.GetWeekOfYear(localTime.DateTime):00}",
        RotationFrequency.Monthly => localTime.ToString("yyyy-MM", CultureInfo.InvariantCulture),
        RotationFrequency.None => "",
    };
}
