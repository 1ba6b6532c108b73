using ProcessMaster.Core.Events;
using ProcessMaster.Core.Interop;

namespace ProcessMaster.Core.Supervision;

/// <summary>
/// Adoption: a new daemon resumes the state its predecessor saved and takes over what still runs
/// instead of killing it. Timers of the old daemon are gone: what was waiting is armed afresh.
/// </summary>
public sealed partial class ServiceStateMachine
{
    /// <summary>The saved state a new daemon resumes from: the same value, minus what belonged to the old process.</summary>
    /// <remarks>What it knew of its dependencies is told afresh by the new daemon (their sequence numbers start over).</remarks>
    public static ServiceMachineState Resumable(ServiceMachineState saved, bool stoppedByOperator) =>
        saved with
        {
            Supervised = false,
            Stop = saved.Stop with { Pending = null },
            Schedule = saved.Schedule with { Halted = false },
            Restarts = saved.Restarts with { StoppedByOperator = stoppedByOperator },
            Dependencies = saved.Dependencies with { Known = System.Collections.Immutable.ImmutableDictionary<string, DependencyStatus>.Empty },
        };

    private void Adopt(Adoption adoption)
    {
        _s = _s with { Run = _s.Run with { MainAlive = adoption.MainPid is { } pid && pid == _s.Run.MainPid } };
        if (_s.Run.MainAlive)
        {
            Effect(new WatchMain(_s.Run.MainPid!.Value)); // whatever happens next waits for its end too
        }

        switch (_s.State)
        {
            case ServiceState.Starting or ServiceState.Running when _s.Restarts.StoppedByOperator:
                KillLeftovers("stopped by operator; killing what an earlier daemon left running");
                break;
            case ServiceState.Starting or ServiceState.Running:
                AdoptRun();
                break;
            case ServiceState.Stopping when HasProcesses:
                // The stop under way when the earlier daemon ended goes straight to its last phase.
                Record(new Adopted(AdoptionOutcome.StopFinished));
                if (_s.Stop.Phase == StopPhase.Killed)
                {
                    KillAndWait(); // killed once already: again, since that daemon's deadline is gone
                }
                else
                {
                    KillEverything();
                }

                break;
            case ServiceState.Stopping:
                Stopped();
                break;
            case ServiceState.Backoff when !HasProcesses:
                Record(new Adopted(AdoptionOutcome.RestartPending));
                ArmTimer((Definition.Restart ?? Configuration.RestartSettings.Default).Backoff);
                break;
            case ServiceState.Waiting when !HasProcesses:
                Record(new Adopted(AdoptionOutcome.StillWaiting, Detail: WaitingFor(Definition, _s)));
                CheckWaiting();
                break;
            case var _ when HasProcesses:
                KillLeftovers($"{_s.State.Name()} but processes remain; killing them");
                break;
            case ServiceState.Stopped or ServiceState.Failed or ServiceState.Exited or ServiceState.Backoff or ServiceState.Waiting:
                break; // nothing ran, and nothing is left
            default:
                throw Unhandled(_s.State);
        }
    }

    /// <summary>It was running: keep it running with its pid, uptime and restart count, or learn that it ended meanwhile.</summary>
    private void AdoptRun()
    {
        if (_s.State == ServiceState.Starting)
        {
            SetState(ServiceState.Running, CauseKind.Reexec, "adopted while starting");
        }
        else if (HasProcesses)
        {
            ArmProbes(); // the earlier daemon's probe timers are gone
        }

        _s = _s with { Run = _s.Run with { ExecConfirmed = true, ExecError = null } };

        if (_s.Run.MainAlive)
        {
            Record(new Adopted(AdoptionOutcome.Running, _s.Run.MainPid, _s.StateSince, _s.Restarts.Count));
            if (Definition.Schedule?.MaxTimePerRun is { } limit)
            {
                ArmTimer(limit); // the run's limit counts afresh from the adoption
            }

            return;
        }

        _s = _s with { LastExit = ExitStatus.Unknown };
        if (_at.Populated)
        {
            Record(new Adopted(AdoptionOutcome.MainEnded));
            if (Definition.Process.ExitType == Configuration.ExitType.Main)
            {
                EnterStopping(Supervision.StopReason.MainEnded); // what its main process left is not the service
            }

            return;
        }

        Record(new Adopted(AdoptionOutcome.Ended));
        Ended();
    }
}
