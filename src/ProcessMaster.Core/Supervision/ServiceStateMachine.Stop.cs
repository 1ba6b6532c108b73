using ProcessMaster.Core.Configuration.Values;
using ProcessMaster.Core.Interop;

namespace ProcessMaster.Core.Supervision;

/// <summary>Sub-phase of STOPPING.</summary>
public enum StopPhase
{
    None,

    /// <summary>The stop_command runs; no signal was sent.</summary>
    StopCommand,

    /// <summary>The stop signal was sent (or the stop command succeeded); waiting for the grace period.</summary>
    Signalled,

    /// <summary>cgroup.kill was written; waiting for the cgroup to empty.</summary>
    Killed,
}

/// <summary>The stop sequence: stop_command or stop_signal, the grace period, then cgroup.kill.</summary>
public sealed partial class ServiceStateMachine
{
    private const int SigTerm = 15;

    private void OnStop(StopReason reason, OperationWaiter? waiter)
    {
        if (reason == Supervision.StopReason.Operator)
        {
            _crashes.Clear();
            if (!StoppedByOperator)
            {
                StoppedByOperator = true;
                Effect(new PersistOperatorStop(true));
            }
        }

        switch (State)
        {
            case ServiceState.Starting:
                Add(waiter, _stopWaiters);
                _pendingStop = reason;
                FailWaitersOnRestartCancel(reason);
                return;
            case ServiceState.Running:
                Add(waiter, _stopWaiters);
                EnterStopping(reason);
                return;
            case ServiceState.Stopping:
                Add(waiter, _stopWaiters);
                if (StopReason == Supervision.StopReason.Restart && reason != Supervision.StopReason.Restart)
                {
                    StopReason = reason; // a stop overrides a pending restart
                    FailWaitersOnRestartCancel(reason);
                }

                return;
            case ServiceState.Backoff:
                CancelTimer();
                SetState(ServiceState.Stopped, $"pending restart cancelled ({reason.Name()} stop)");
                Complete(waiter, OperationResult.Success("stopped (pending restart cancelled)"));
                return;
            case ServiceState.Stopped or ServiceState.Failed or ServiceState.Exited when MainAlive || Populated:
                // Processes are left (a kill that did not finish them, say): "stopped" must mean none remain.
                Add(waiter, _stopWaiters);
                EnterStopping(reason);
                return;
            case ServiceState.Failed when reason == Supervision.StopReason.Operator:
                SetState(ServiceState.Stopped, "stopped by operator");
                Complete(waiter, OperationResult.Success("already stopped"));
                return;
            default:
                Complete(waiter, OperationResult.Success("already stopped"));
                return;
        }
    }

    private void FailWaitersOnRestartCancel(StopReason reason)
    {
        if (reason != Supervision.StopReason.Restart)
        {
            CompleteAll(_startWaiters, OperationResult.Failure($"cancelled: the service is being stopped ({reason.Name()})"));
        }
    }

    private void EnterStopping(StopReason reason)
    {
        StopReason = reason;
        CancelTimer();
        SetState(ServiceState.Stopping, $"stopping ({reason.Name()})");
        if (!MainAlive && !Populated)
        {
            Stopped();
            return;
        }

        var grace = Definition.Process.StopGracePeriod;
        if (Definition.Process.StopCommand is not null)
        {
            Phase = StopPhase.StopCommand;
            Record("stop", "running stop_command");
            Effect(new SpawnStopCommand());
        }
        else
        {
            Phase = StopPhase.Signalled;
            Effect(new SignalAll(Definition.Process.StopSignal));
        }

        Record("stop", $"waiting up to {DurationText.Format(grace)} before cgroup.kill");
        ArmTimer(grace);
    }

    private void OnStopCommandFailed(string error)
    {
        if (State == ServiceState.Stopping && Phase == StopPhase.StopCommand)
        {
            Record("stop", $"stop_command could not be started ({error}); sending SIGTERM");
            Phase = StopPhase.Signalled;
            Effect(new SignalAll(SigTerm));
            CheckEnded();
        }
    }

    private void OnStopCommandExited(ExitStatus status)
    {
        // The service may have ended (and the stop completed) before the stop command's own exit is
        // seen; its outcome is recorded either way, the SIGTERM fallback only while it still matters.
        var awaited = State == ServiceState.Stopping && Phase == StopPhase.StopCommand;
        if (status.Success)
        {
            Record("stop", "stop_command succeeded");
        }
        else
        {
            Record("stop", awaited ? $"stop_command failed ({status}); sending SIGTERM" : $"stop_command failed ({status})");
        }

        if (awaited)
        {
            Phase = StopPhase.Signalled;
            if (!status.Success)
            {
                Effect(new SignalAll(SigTerm));
            }
        }

        CheckEnded(); // its exit may be the last thing the stop waited for, in any phase
    }

    private void OnStopDeadline()
    {
        if (Phase == StopPhase.Killed)
        {
            var waiters = _stopWaiters.ToList();
            _stopWaiters.Clear();
            Phase = StopPhase.None;
            SetState(ServiceState.Failed, "processes remain after cgroup.kill");
            Effect(new FailStuckStop(waiters));
            CompleteAll(_startWaiters, OperationResult.Failure("could not be stopped"));
            return;
        }

        Record("stop", Phase == StopPhase.StopCommand
            ? "stop_command did not finish within the grace period; killing everything (cgroup.kill)"
            : "grace period expired; killing what is left (cgroup.kill)");
        Phase = StopPhase.Killed;
        Effect(new KillCgroup());
        ArmTimer(KillTimeout);
    }

    /// <summary>Stopping is complete: the cgroup is empty and the main process reaped.</summary>
    private void Stopped()
    {
        CancelTimer();
        Phase = StopPhase.None;
        CompleteAll(_stopWaiters, OperationResult.Success("stopped"));
        switch (StopReason)
        {
            case Supervision.StopReason.Restart:
                EnterStarting(StartReason.Restart);
                break;
            case Supervision.StopReason.Reload:
                EnterStarting(StartReason.Reload);
                break;
            default:
                SetState(ServiceState.Stopped, $"stopped ({StopReason?.Name()})");
                CompleteAll(_startWaiters, OperationResult.Failure("stopped before it started"));
                break;
        }
    }
}
