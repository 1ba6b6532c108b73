using System.Collections.Immutable;
using System.Text.Json.Serialization;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Supervision;
using ProcessMaster.Core.Supervision.Ports;

namespace ProcessMaster.Core.State;

/// <summary>
/// Version 1 of <c>supervision.json</c>: the machine state as one flat record, as daemons before the state
/// was split by concern saved it. Read (never written) so that an upgrade re-executing from such a daemon,
/// or starting after it crashed, still adopts what it left running.
/// </summary>
internal sealed record SupervisionRecordsDocumentV1(int Version, string BootId, int Generation, Dictionary<string, SavedServiceV1> Services)
{
    public SupervisionRecordsDocument Upgraded() => new(Version, BootId, Generation,
        (Services ?? []).Where(s => s.Value?.State is not null && s.Value.Fingerprint is not null)
            .ToDictionary(s => s.Key, s => new SavedService(s.Value.Fingerprint, s.Value.State.Upgraded()), StringComparer.Ordinal));
}

internal sealed record SavedServiceV1(string Fingerprint, FlatMachineStateV1 State);

internal sealed record FlatMachineStateV1
{
    public ServiceState State { get; init; } = ServiceState.Stopped;
    public bool Supervised { get; init; }
    public DateTimeOffset? StateSince { get; init; }
    public StopPhase Phase { get; init; }
    public StopReason? StopReason { get; init; }
    public StartReason RestartAs { get; init; } = StartReason.Restart;
    public int? MainPid { get; init; }
    public bool MainAlive { get; init; }
    public ExitStatus? LastExit { get; init; }
    public string? LastError { get; init; }
    public DateTimeOffset? LastStartAttempt { get; init; }
    public TimeSpan? LastStartMonotonic { get; init; }
    public TimeSpan? LastRunDuration { get; init; }
    public int Restarts { get; init; }
    public bool StoppedByOperator { get; init; }
    public bool ForcedWhileDisabled { get; init; }
    public bool LastRunOvertime { get; init; }
    public ImmutableArray<TimeSpan> Crashes { get; init; } = [];
    public long TimerGeneration { get; init; }
    public string? ExecError { get; init; }
    public bool ExecConfirmed { get; init; }
    public StopReason? PendingStop { get; init; }
    public DateTimeOffset? NextRun { get; init; }
    public DateTimeOffset? LastFired { get; init; }
    public long ScheduleGeneration { get; init; }
    public bool ScheduleEndReported { get; init; }
    public bool ScheduleHalted { get; init; }
    public StartReason StartedAs { get; init; }
    public string? OperatorName { get; init; }
    public long Runs { get; init; }
    public ImmutableDictionary<string, long> StartedAfter { get; init; } = ImmutableDictionary<string, long>.Empty;
    public TimeSpan? WaitingSince { get; init; }
    public StartReason WaitingAs { get; init; }
    public bool IgnoreDependencies { get; init; }
    public bool Ready { get; init; }
    public bool WasReady { get; init; }
    public int ReadinessPasses { get; init; }
    public int ReadinessFailures { get; init; }
    public int LivenessFailures { get; init; }
    public long ProbeGeneration { get; init; }
    public string? NotifyStatus { get; init; }
    public bool SaidStopping { get; init; }

    /// <remarks>What it knew of its dependencies is not carried: a resumed machine is told afresh.</remarks>
    public ServiceMachineState Upgraded() => new()
    {
        State = State, Supervised = Supervised, StateSince = StateSince, TimerGeneration = TimerGeneration, OperatorName = OperatorName,
        LastExit = LastExit, LastRunDuration = LastRunDuration, LastError = LastError,
        Run = new RunRecord
        {
            Number = Runs, StartedAs = StartedAs, StartedAt = LastStartAttempt, StartedMonotonic = LastStartMonotonic, MainPid = MainPid,
            MainAlive = MainAlive, ExecError = ExecError, ExecConfirmed = ExecConfirmed, Overtime = LastRunOvertime,
            NotifyStatus = NotifyStatus, SaidStopping = SaidStopping, StartedAfter = StartedAfter,
        },
        Stop = new StopRecord { Phase = Phase, Reason = StopReason, RestartAs = RestartAs, Pending = PendingStop },
        Probes = new ProbeRecord
        {
            Generation = ProbeGeneration, Ready = Ready, WasReady = WasReady, ReadinessPasses = ReadinessPasses,
            ReadinessFailures = ReadinessFailures, LivenessFailures = LivenessFailures,
        },
        Schedule = new ScheduleRecord
        {
            NextRun = NextRun, LastFired = LastFired, Generation = ScheduleGeneration, EndReported = ScheduleEndReported, Halted = ScheduleHalted,
        },
        Dependencies = new DependencyRecord { WaitingSince = WaitingSince, WaitingAs = WaitingAs, IgnoredByNextStart = IgnoreDependencies },
        Restarts = new RestartAccounting
        {
            Count = Restarts, Crashes = Crashes, StoppedByOperator = StoppedByOperator, ForcedWhileDisabled = ForcedWhileDisabled,
        },
    };
}
