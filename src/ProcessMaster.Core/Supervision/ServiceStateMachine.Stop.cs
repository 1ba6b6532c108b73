using ProcessMaster.Core.Events;
using ProcessMaster.Core.Interop;

namespace ProcessMaster.Core.Supervision;

/// <summary>Sub-phase of STOPPING; each stop moves forward through them, never back.</summary>
public enum StopPhase
{
    None,

    /// <summary>The stop_command runs; no signal was sent.</summary>
    StopCommand,

    /// <summary>The stop was asked for (stop signal sent, or the stop command done); the grace period runs.</summary>
    Grace,

    /// <summary>cgroup.kill was written; waiting for the cgroup to empty.</summary>
    Killed,
}

/// <summary>The stop sequence: stop_command and/or stop_signal, the grace period, then cgroup.kill.</summary>
public sealed partial class ServiceStateMachine
{
    private void OnStopRequest(StopRequest request)
    {
        if (request.Reason is Supervision.StopReason.Shutdown or Supervision.StopReason.Removed)
        {
            HaltSchedule(); // the job is going away: no run may start behind this stop
        }

        if (request.Reason == Supervision.StopReason.Operator)
        {
            _s = _s with { OperatorName = request.By };
        }

        OnStop(request.Reason, request.Waiter);
    }

    private void OnStop(StopReason reason, OperationWaiter? waiter)
    {
        if (reason == Supervision.StopReason.Operator)
        {
            _s = _s with { Restarts = _s.Restarts with { Crashes = [], FailedStarts = 0 } };
            if (!_s.Restarts.StoppedByOperator)
            {
                _s = _s with { Restarts = _s.Restarts with { StoppedByOperator = true } };
                Effect(new PersistOperatorStop(true));
            }
        }

        switch (_s.State)
        {
            case ServiceState.Starting:
                Add(waiter, _stopWaiters);
                _s = _s with { Stop = _s.Stop with { Pending = reason } };
                FailWaitersOnRestartCancel(reason);
                return;
            case ServiceState.Running:
                Add(waiter, _stopWaiters);
                EnterStopping(reason);
                return;
            case ServiceState.Stopping:
                Add(waiter, _stopWaiters);
                if (_s.Stop.Reason is Supervision.StopReason.Restart or Supervision.StopReason.MainEnded && reason != Supervision.StopReason.Restart)
                {
                    // A stop overrides a pending restart, and the end it would have decided on.
                    _s = _s with { Stop = _s.Stop with { Reason = reason } };
                    FailWaitersOnRestartCancel(reason);
                }

                return;
            case ServiceState.Backoff:
                CancelTimer();
                SetState(ServiceState.Stopped, CauseOf(reason), $"pending restart cancelled ({reason.Name()} stop)");
                Complete(waiter, OperationOutcome.Success("stopped (pending restart cancelled)"));
                return;
            case ServiceState.Waiting:
                CancelTimer();
                _s = _s with { Dependencies = _s.Dependencies with { WaitingSince = null } };
                SetState(ServiceState.Stopped, CauseOf(reason), $"no longer waiting for its dependencies ({reason.Name()} stop)");
                CompleteAll(_startWaiters, OperationOutcome.Failure("stopped before it started", OutcomeCode.Cancelled));
                Complete(waiter, OperationOutcome.Success("stopped (it was waiting for its dependencies)"));
                return;
            case ServiceState.Stopped or ServiceState.Failed or ServiceState.Exited when HasProcesses:
                // Processes are left (a kill that did not finish them, say): "stopped" must mean none remain.
                Add(waiter, _stopWaiters);
                EnterStopping(reason);
                return;
            case ServiceState.Failed when reason == Supervision.StopReason.Operator:
                SetState(ServiceState.Stopped, CauseOf(reason), "stopped by operator");
                Complete(waiter, OperationOutcome.Success("already stopped", OutcomeCode.AlreadyStopped));
                return;
            case ServiceState.Stopped or ServiceState.Failed or ServiceState.Exited:
                Complete(waiter, OperationOutcome.Success("already stopped", OutcomeCode.AlreadyStopped));
                return;
            default:
                throw Unhandled(_s.State);
        }
    }

    private void FailWaitersOnRestartCancel(StopReason reason)
    {
        if (reason != Supervision.StopReason.Restart)
        {
            CompleteAll(_startWaiters, OperationOutcome.Failure($"cancelled: the service is being stopped ({reason.Name()})", OutcomeCode.Cancelled));
        }
    }

    /// <param name="restartAs">For a restart: how the start that follows is named.</param>
    private void EnterStopping(StopReason reason, StartReason restartAs = StartReason.Restart)
    {
        _s = _s with { Stop = new StopRecord { Reason = reason, RestartAs = restartAs } };
        CancelTimer();
        SetState(ServiceState.Stopping, CauseOf(reason), $"stopping ({(reason == Supervision.StopReason.Restart ? restartAs.Name() : reason.Name())})");
        if (!HasProcesses)
        {
            Stopped();
            return;
        }

        var grace = Definition.Process.StopGracePeriod;
        if (Definition.Process.StopCommand is not null && reason != Supervision.StopReason.MainEnded)
        {
            Advance(StopPhase.StopCommand);
            Record(new StopProgress(StopStep.CommandRunning));
            Effect(new SpawnStopCommand());
        }
        else
        {
            Advance(StopPhase.Grace);
            SendStopSignal();
        }

        Record(new StopProgress(StopStep.GraceStarted, Grace: grace));
        ArmTimer(grace);
    }

    /// <summary>The only way the stop phase changes within STOPPING: forward.</summary>
    private void Advance(StopPhase next)
    {
        if (_s.State != ServiceState.Stopping || next <= _s.Stop.Phase)
        {
            throw new InvalidOperationException($"stop phase {_s.Stop.Phase} -> {next} in {_s.State.Name()}");
        }

        _s = _s with { Stop = _s.Stop with { Phase = next } };
    }

    /// <summary>
    /// The stop signal, to the main process alone with <c>kill_mode: mixed</c> while it lives (a daemonized
    /// service has no main process left to single out: all of it gets the signal then).
    /// </summary>
    private void SendStopSignal()
    {
        var signal = Definition.Process.StopSignal;
        Effect(Definition.Process.KillMode == Configuration.KillMode.Mixed && _s.Run is { MainAlive: true, MainPid: { } main }
            ? new SignalMain(main, signal)
            : new SignalAll(signal));
    }

    private void OnStopCommandFailed(string error)
    {
        if (Phase == StopPhase.StopCommand)
        {
            Record(new StopProgress(StopStep.CommandNotStarted, Error: error, SignalFollows: Definition.Process.StopSignal));
            Advance(StopPhase.Grace);
            SendStopSignal();
            CheckEnded();
        }
    }

    private void OnStopCommandExited(ExitStatus status)
    {
        // The service may have ended (and the stop completed) before the stop command's own exit is
        // seen; its outcome is recorded either way, the signal that follows only while it still matters.
        var awaited = Phase == StopPhase.StopCommand;
        var signalFollows = awaited && HasProcesses && (!status.Success || Definition.Process.SignalAfterStopCommand);
        int? follows = signalFollows ? Definition.Process.StopSignal : null;
        Record(status.Success
            ? new StopProgress(StopStep.CommandSucceeded, SignalFollows: follows)
            : new StopProgress(StopStep.CommandFailed, Exit: status, SignalFollows: follows));
        if (awaited)
        {
            Advance(StopPhase.Grace);
            if (signalFollows)
            {
                SendStopSignal();
            }
        }

        CheckEnded(); // its exit may be the last thing the stop waited for, in any phase
    }

    private void OnStopDeadline()
    {
        switch (_s.Stop.Phase)
        {
            case StopPhase.Killed:
                var waiters = _stopWaiters.ToList();
                _stopWaiters.Clear();
                SetState(ServiceState.Failed, CauseOf(_s.Stop.Reason ?? Supervision.StopReason.Operator), "processes remain after cgroup.kill");
                Effect(new FailStuckStop(waiters));
                CompleteAll(_startWaiters, OperationOutcome.Failure("could not be stopped"));
                break;
            case StopPhase.StopCommand:
                Record(new StopProgress(StopStep.CommandTimedOut));
                KillEverything();
                break;
            case StopPhase.Grace:
                Record(new StopProgress(StopStep.GraceExpired));
                KillEverything();
                break;
            default:
                throw new System.Diagnostics.UnreachableException($"stop phase {_s.Stop.Phase} has no deadline");
        }
    }

    /// <summary>The stop's last phase: <see cref="StopPhase.Killed"/>, then <see cref="KillAndWait"/>.</summary>
    private void KillEverything()
    {
        Advance(StopPhase.Killed);
        KillAndWait();
    }

    /// <summary>
    /// Empties the cgroup: cgroup.kill, then up to <see cref="KillTimeout"/> for it to empty (the cgroup's
    /// populated flag ends the stop; the deadline reports it stuck). The one kill-and-wait of a supervised
    /// service; a group no supervisor runs is emptied by <c>ServiceManager.EmptyAsync</c>.
    /// </summary>
    private void KillAndWait()
    {
        Effect(new KillCgroup());
        ArmTimer(KillTimeout);
    }

    /// <summary>Stopping is complete: the cgroup is empty and the main process reaped.</summary>
    private void Stopped()
    {
        CancelTimer();
        CompleteAll(_stopWaiters, OperationOutcome.Success("stopped"));
        if (_s.Stop.Reason == Supervision.StopReason.Restart)
        {
            EnterStarting(_s.Stop.RestartAs);
            return;
        }

        if (_s.Stop.Reason is Supervision.StopReason.Liveness or Supervision.StopReason.MainEnded)
        {
            Ended(); // hung, or its main process ended: the restart policy decides, as after any end
            return;
        }

        SetState(ServiceState.Stopped, CauseOf(_s.Stop.Reason ?? Supervision.StopReason.Operator), $"stopped ({_s.Stop.Reason?.Name()})");
        CompleteAll(_startWaiters, OperationOutcome.Failure("stopped before it started", OutcomeCode.Cancelled));
    }
}
