using ProcessMaster.Core.Interop;

namespace ProcessMaster.Core.Supervision;

/// <summary>
/// Everything a <see cref="ServiceStateMachine"/> knows, as a value: what it saves and is restored from
/// (callers waiting on an operation are connections, not state, and are not part of it). Each concern is
/// one record, so that entering a phase (a run, a stop) replaces that record instead of resetting fields.
/// </summary>
public sealed record ServiceMachineState
{
    public ServiceState State { get; init; } = ServiceState.Stopped;

    /// <summary>The supervisor's first message was handled.</summary>
    public bool Supervised { get; init; }

    public DateTimeOffset? StateSince { get; init; }

    /// <summary>The one deadline timer (what it means depends on the state): a firing of an older generation is stale.</summary>
    public long TimerGeneration { get; init; }

    /// <summary>Who gave the last operator's command (the cause its events name).</summary>
    public string? OperatorName { get; init; }

    /// <summary>How the last run ended; kept while the next one starts, so status says why it restarted.</summary>
    public ExitStatus? LastExit { get; init; }

    /// <summary>How long the last run that ended took, from its start to its last process gone.</summary>
    public TimeSpan? LastRunDuration { get; init; }

    /// <summary>Why the last start failed (its command, or its dependencies); cleared by the next start.</summary>
    public string? LastError { get; init; }

    /// <summary>The current run, or the last one.</summary>
    public RunRecord Run { get; init; } = new();

    /// <summary>The stop under way (or the last one); a stop asked for while starting waits here.</summary>
    public StopRecord Stop { get; init; } = new();

    public ProbeRecord Probes { get; init; } = new();

    public ScheduleRecord Schedule { get; init; } = new();

    public DependencyRecord Dependencies { get; init; } = new();

    public RestartAccounting Restarts { get; init; } = new();
}
