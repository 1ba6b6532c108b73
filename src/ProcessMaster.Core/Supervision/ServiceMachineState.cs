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

    /// <summary>The monotonic time of <see cref="LastStartAttempt"/>, so a clock step cannot change a run's length.</summary>
    public TimeSpan? LastStartMonotonic { get; init; }

    /// <summary>How long the last run that ended took, from its start to its last process gone.</summary>
    public TimeSpan? LastRunDuration { get; init; }

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

    /// <summary>How the current (or last) run was started, for the cause of its RUNNING.</summary>
    public StartReason StartedAs { get; init; }

    /// <summary>Who gave the last operator's command (the cause its events name).</summary>
    public string? OperatorName { get; init; }

    /// <summary>How many runs were started; a dependent tells by it that this service was restarted.</summary>
    public long Runs { get; init; }

    /// <summary>What it knows of each of its dependencies (the manager tells it).</summary>
    public ImmutableDictionary<string, DependencyStatus> Dependencies { get; init; } = ImmutableDictionary<string, DependencyStatus>.Empty;

    /// <summary>Each dependency's run (<see cref="Runs"/>) this run started after, for <c>restart: true</c>.</summary>
    public ImmutableDictionary<string, long> StartedAfter { get; init; } = ImmutableDictionary<string, long>.Empty;

    /// <summary>When it began to wait for its dependencies (monotonic), for their timeouts.</summary>
    public TimeSpan? WaitingSince { get; init; }

    /// <summary>How the start that waits is named.</summary>
    public StartReason WaitingAs { get; init; }

    /// <summary>The next start goes ahead whatever its dependencies (<c>--no-deps</c>).</summary>
    public bool IgnoreDependencies { get; init; }

    /// <summary>Ready in this run: its readiness probe passed (or it said READY=1) and has not failed enough since.</summary>
    public bool Ready { get; init; }

    /// <summary>Was ready at some time in this run: not ready now means unhealthy, not still starting.</summary>
    public bool WasReady { get; init; }

    public int ReadinessPasses { get; init; }

    public int ReadinessFailures { get; init; }

    public int LivenessFailures { get; init; }

    /// <summary>Probe timers and results of an earlier run (or a cancelled one) carry an older generation.</summary>
    public long ProbeGeneration { get; init; }

    /// <summary>What the service last said with <c>STATUS=</c> (sd_notify).</summary>
    public string? NotifyStatus { get; init; }

    /// <summary>The service said <c>STOPPING=1</c> in this run: recorded once per run, however often it says it.</summary>
    public bool SaidStopping { get; init; }
}
