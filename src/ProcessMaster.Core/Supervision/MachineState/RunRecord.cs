using System.Collections.Immutable;

namespace ProcessMaster.Core.Supervision;

/// <summary>One run of the service, from its start on: a new start replaces it whole (<see cref="Begin"/>).</summary>
/// <remarks>Its number only grows: a dependent tells by it that this service was restarted.</remarks>
public sealed record RunRecord
{
    /// <summary>How many runs were started, this one included.</summary>
    public long Number { get; init; }

    /// <summary>How it was started, for the cause of its RUNNING.</summary>
    public StartReason StartedAs { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>The monotonic time of <see cref="StartedAt"/>, so a clock step cannot change a run's length.</summary>
    public TimeSpan? StartedMonotonic { get; init; }

    public int? MainPid { get; init; }

    public bool MainAlive { get; init; }

    /// <summary>Why its command could not be executed.</summary>
    public string? ExecError { get; init; }

    /// <summary>The shim reported the command executed.</summary>
    public bool ExecConfirmed { get; init; }

    /// <summary>It ran past its cron job's max_time_per_run and was stopped.</summary>
    public bool Overtime { get; init; }

    /// <summary>What the service last said with <c>STATUS=</c> (sd_notify).</summary>
    public string? NotifyStatus { get; init; }

    /// <summary>It said <c>STOPPING=1</c>: recorded once per run, however often it says it.</summary>
    public bool SaidStopping { get; init; }

    /// <summary>Each dependency's run number this run started after, for <c>restart: true</c>.</summary>
    public ImmutableDictionary<string, long> StartedAfter { get; init; } = ImmutableDictionary<string, long>.Empty;

    /// <summary>The run after <paramref name="previous"/>: nothing of the earlier one carries over but its number.</summary>
    public static RunRecord Begin(RunRecord previous, StartReason reason, DateTimeOffset wall, TimeSpan monotonic,
        ImmutableDictionary<string, long> startedAfter) =>
        new() { Number = previous.Number + 1, StartedAs = reason, StartedAt = wall, StartedMonotonic = monotonic, StartedAfter = startedAfter };
}
