using ProcessMaster.Core.Configuration;

namespace ProcessMaster.Core.Scheduling;

/// <summary>When a cron job's next tick is, within its not_before/not_after bounds.</summary>
public static class CronOccurrences
{
    /// <summary>The first occurrence after <paramref name="now"/> (and after the last fired tick) within the bounds; null when none.</summary>
    public static DateTimeOffset? Next(ScheduleSettings schedule, DateTimeOffset now, DateTimeOffset? lastFired)
    {
        var from = lastFired is { } last && last > now ? last : now;
        if (schedule.NotBefore is { } notBefore && notBefore > from)
        {
            from = notBefore.AddTicks(-1);
        }

        var next = schedule.Cron.Next(from);
        return next is { } n && schedule.NotAfter is { } notAfter && n > notAfter ? null : next;
    }

    /// <summary>Up to <paramref name="count"/> occurrences after <paramref name="now"/> within the bounds, for the console's schedule details.</summary>
    public static List<DateTimeOffset> Upcoming(ScheduleSettings schedule, DateTimeOffset now, int count)
    {
        var runs = new List<DateTimeOffset>(count);
        var from = now;
        while (runs.Count < count && Next(schedule, from, null) is { } next)
        {
            runs.Add(next);
            from = next;
        }

        return runs;
    }
}
