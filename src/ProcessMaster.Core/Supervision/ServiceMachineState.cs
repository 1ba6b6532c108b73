using System.Collections.Immutable;
using ProcessMaster.Core.Interop;

namespace ProcessMaster.Core.Supervision;

/// <summary>
/// Everything a <see cref="ServiceStateMachine"/> knows, as a value: what it saves and is restored from
/// (callers waiting on an operation are connections, not state, and are not part of it).
/// </summary>
public sealed record ServiceMachineState
{
    public ServiceState State { get; init; } = ServiceState.Stopped;

    /// <summary>The supervisor's first message was handled.</summary>
    public bool Supervised { get; init; }

    public DateTimeOffset? StateSince { get; init; }

    public StopPhase Phase { get; init; }

    public StopReason? StopReason { get; init; }

    /// <summary>How to start once the current stop completes, when it ends in a start.</summary>
    public StartReason RestartAs { get; init; } = StartReason.Restart;

    public int? MainPid { get; init; }

    public bool MainAlive { get; init; }

    public ExitStatus? LastExit { get; init; }

    public string? LastError { get; init; }

    public DateTimeOffset? LastStartAttempt { get; init; }

    public int Restarts { get; init; }

    public bool StoppedByOperator { get; init; }

    public bool ForcedWhileDisabled { get; init; }

    public bool LastRunOvertime { get; init; }

    /// <summary>Monotonic times of recent crashes, oldest first, for the tolerance window.</summary>
    public ImmutableArray<TimeSpan> Crashes { get; init; } = [];

    public long TimerGeneration { get; init; }

    public string? ExecError { get; init; }

    public bool ExecConfirmed { get; init; }

    /// <summary>A stop that arrived while the command was not executed yet.</summary>
    public StopReason? PendingStop { get; init; }

    /// <summary>The cron job's next tick (wall clock), null when it has none.</summary>
    public DateTimeOffset? NextRun { get; init; }

    public DateTimeOffset? LastFired { get; init; }

    public long ScheduleGeneration { get; init; }

    public bool ScheduleEndReported { get; init; }

    /// <summary>No further scheduled runs: the job is being removed or the daemon shuts down.</summary>
    public bool ScheduleHalted { get; init; }
}
