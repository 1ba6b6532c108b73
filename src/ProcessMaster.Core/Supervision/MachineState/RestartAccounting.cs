using System.Collections.Immutable;

namespace ProcessMaster.Core.Supervision;

/// <summary>What the restart policy counts, and the operator's word that overrides it.</summary>
public sealed record RestartAccounting
{
    /// <summary>Restarts by the policy since the operator last started it.</summary>
    public int Count { get; init; }

    /// <summary>Monotonic times of recent failed starts and unexpected ends, oldest first, for the tolerance window.</summary>
    public ImmutableArray<TimeSpan> Crashes { get; init; } = [];

    /// <summary>Failed starts in a row (a run that could not be executed or ended within <c>min_uptime</c>).</summary>
    public int FailedStarts { get; init; }

    /// <summary>Stopped by an operator: only an operator starts it again.</summary>
    public bool StoppedByOperator { get; init; }

    /// <summary>Started with <c>--force</c> while disabled: it runs once and is not restarted.</summary>
    public bool ForcedWhileDisabled { get; init; }
}
