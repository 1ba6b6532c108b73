namespace ProcessMaster.Core.Supervision;

/// <summary>A stop: why, how far it got, and how to start once it completes when it ends in a start.</summary>
public sealed record StopRecord
{
    /// <summary>Sub-phase of STOPPING; it only moves forward, and is <see cref="StopPhase.None"/> in every other state.</summary>
    public StopPhase Phase { get; init; }

    public StopReason? Reason { get; init; }

    /// <summary>How to start once the stop completes, when it ends in a start.</summary>
    public StartReason RestartAs { get; init; } = StartReason.Restart;

    /// <summary>A stop that arrived while the command was not executed yet: it begins once it is.</summary>
    public StopReason? Pending { get; init; }
}
