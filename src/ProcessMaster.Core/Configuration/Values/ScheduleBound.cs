using System.Globalization;

namespace ProcessMaster.Core.Configuration.Values;

/// <summary>
/// <c>not_before</c>/<c>not_after</c> values: <c>YYYY-MM-DD</c> or <c>YYYY-MM-DD HH:MM:SS</c> (a <c>T</c> or
/// <c>_</c> separator is accepted too), in the job's time zone. A date alone means the start of that
/// day for <c>not_before</c> and the whole day, inclusive, for <c>not_after</c>.
/// </summary>
public static class ScheduleBound
{
    private static readonly string[] DateTimeFormats =
        ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd_HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd'T'HH:mm"];

    public static DateTimeOffset Parse(string text, TimeZoneInfo zone, bool endOfDayForDate)
    {
        var s = text.Trim();
        if (DateTime.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            var local = endOfDayForDate ? date.AddDays(1).AddTicks(-1) : date;
            return ToZone(local, zone);
        }

        if (DateTime.TryParseExact(s, DateTimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var dateTime))
        {
            return ToZone(dateTime, zone);
        }

        throw new FormatException($"'{text}' is not a date; use YYYY-MM-DD or YYYY-MM-DD HH:MM:SS");
    }

    private static DateTimeOffset ToZone(DateTime local, TimeZoneInfo zone)
    {
        var unspecified = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        // A wall-clock time skipped by a DST change is moved forward past the gap.
        while (zone.IsInvalidTime(unspecified))
        {
            unspecified = unspecified.AddMinutes(1);
        }

        return new DateTimeOffset(unspecified, zone.GetUtcOffset(unspecified));
    }
}
