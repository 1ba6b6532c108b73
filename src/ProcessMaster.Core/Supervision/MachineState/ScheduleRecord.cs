namespace ProcessMaster.Core.Supervision;

/// <summary>A cron job's schedule: its next tick and the last one that fired.</summary>
public sealed record ScheduleRecord
{
    /// <summary>The next tick (wall clock), null when it has none.</summary>
    public DateTimeOffset? NextRun { get; init; }

    public DateTimeOffset? LastFired { get; init; }

    /// <summary>The schedule timer's generation: a firing of an older one is stale.</summary>
    public long Generation { get; init; }

    /// <summary>That no tick is left was said (once per schedule).</summary>
    public bool EndReported { get; init; }

    /// <summary>No further scheduled runs: the job is being removed or the daemon shuts down.</summary>
    public bool Halted { get; init; }
}
