using ProcessMaster.Core.Events;

namespace ProcessMaster.Core.Supervision;

/// <summary>What each start, stop and end is caused by, as its events say.</summary>
public sealed partial class ServiceStateMachine
{
    private Cause CauseOf(StartReason reason) => reason switch
    {
        StartReason.Operator or StartReason.Restart => Cause.Operator(_s.OperatorName),
        StartReason.Boot => CauseKind.Boot,
        StartReason.AutoRestart => CauseKind.PolicyRestart,
        StartReason.Scheduled => CauseKind.Schedule,
        StartReason.Reload => CauseKind.Reload,
        StartReason.Dependency => CauseKind.Dependency,
        _ => throw new System.Diagnostics.UnreachableException($"start reason {reason}"),
    };

    private Cause CauseOf(StopReason reason) => reason switch
    {
        Supervision.StopReason.Operator => Cause.Operator(_s.OperatorName),
        Supervision.StopReason.Restart => CauseOf(_s.Stop.RestartAs),
        Supervision.StopReason.Shutdown => CauseKind.Shutdown,
        Supervision.StopReason.Overtime => CauseKind.Schedule,
        Supervision.StopReason.Disabled or Supervision.StopReason.Removed => CauseKind.Reload,
        Supervision.StopReason.Leftovers => CauseKind.Reexec,
        Supervision.StopReason.Liveness => CauseKind.LivenessFailure,
        Supervision.StopReason.MainEnded => EndCause(),
        _ => throw new System.Diagnostics.UnreachableException($"stop reason {reason}"),
    };

    /// <summary>Why the run that just ended did: its command failed, it was found hung, it exited cleanly, or it crashed.</summary>
    /// <param name="successfulExit">Whether the exit is a successful one (a listed code, its own stop signal); null: exit code 0 is.</param>
    private Cause EndCause(bool? successfulExit = null) =>
        _s.Run.ExecError is not null ? CauseKind.StartFailure
        : _s is { State: ServiceState.Stopping, Stop.Reason: Supervision.StopReason.Liveness } ? CauseKind.LivenessFailure
        : successfulExit ?? _s.LastExit is { Success: true } ? CauseKind.Exit
        : CauseKind.Crash;
}
