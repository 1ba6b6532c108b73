using Cronos;

namespace ProcessMaster.Core.Configuration.Values;

/// <summary>
/// A cron schedule (Cronos): 5 fields (minute precision, seconds = 0), 6 fields (leading seconds), or a
/// macro such as <c>@hourly</c>; standard day-of-week numbering (0 or 7 = Sunday); evaluated in a time zone.
/// </summary>
public sealed class CronSchedule : IEquatable<CronSchedule>
{
    private readonly CronExpression _expression;

    private CronSchedule(string text, CronExpression expression, TimeZoneInfo zone)
    {
        Text = text;
        _expression = expression;
        Zone = zone;
    }

    public string Text { get; }

    public TimeZoneInfo Zone { get; }

    public static CronSchedule Parse(string text, TimeZoneInfo zone)
    {
        var trimmed = text.Trim();
        var fields = trimmed.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        var format = trimmed.StartsWith('@') || fields == 5
            ? CronFormat.Standard
            : fields == 6
                ? CronFormat.IncludeSeconds
                : throw new FormatException(
                    $"'{text}' has {fields} fields; use 5 (minute hour day-of-month month day-of-week), 6 (seconds first) or a macro such as @hourly");
        try
        {
            return new CronSchedule(trimmed, CronExpression.Parse(trimmed, format), zone);
        }
        catch (CronFormatException e)
        {
            throw new FormatException($"'{text}' is not a valid cron expression: {e.Message}");
        }
    }

    /// <summary>The first occurrence strictly after <paramref name="after"/>, or null if there is none.</summary>
    public DateTimeOffset? Next(DateTimeOffset after) =>
        _expression.GetNextOccurrence(after, Zone, inclusive: false);

    public bool Equals(CronSchedule? other) =>
        other is not null && Text == other.Text && Zone.Id == other.Zone.Id;

    public override bool Equals(object? obj) => Equals(obj as CronSchedule);

    public override int GetHashCode() => HashCode.Combine(Text, Zone.Id);

    public override string ToString() => Text;
}
