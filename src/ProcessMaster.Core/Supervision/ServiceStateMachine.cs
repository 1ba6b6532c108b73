using System.Diagnostics;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Configuration.Values;
using ProcessMaster.Core.Events;
using ProcessMaster.Core.Faults;
using ProcessMaster.Core.Interop;

namespace ProcessMaster.Core.Supervision;

/// <summary>What the supervisor observed when a message is handled: the clocks and the cgroup's populated flag.</summary>
/// <param name="Monotonic">Monotonic time, for timeouts and crash windows.</param>
/// <param name="Wall">Wall-clock time, for what status shows and cron ticks.</param>
public readonly record struct Observation(TimeSpan Monotonic, DateTimeOffset Wall, bool Populated);

/// <summary>
/// The lifecycle of one service as a deterministic machine without I/O: <see cref="Handle"/> takes a
/// message and what was observed with it, moves to a new <see cref="ServiceMachineState"/> and returns
/// the effects to perform. Every decision about the service is taken here, and nowhere else. One
/// deadline timer serves every state (what it means depends on the state); a second one is a cron
/// job's schedule. A transition is all or nothing: one that throws leaves the state, the definition and the
/// waiting callers as they were, and its only effect is <see cref="TransitionUndone"/>.
/// </summary>
public sealed partial class ServiceStateMachine
{
    /// <summary>How long the shim may take to execute the command before the start counts as failed.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How long after cgroup.kill the cgroup may take to empty before the stop is reported stuck.</summary>
    public static readonly TimeSpan KillTimeout = TimeSpan.FromSeconds(5);

    /// <summary>A fact whose transition keeps failing is given up after this many retries (1, 2, 3 s apart).</summary>
    public const int MaxRetries = 3;

    private readonly List<ServiceEffect> _effects = [];
    private readonly List<OperationWaiter> _startWaiters = [];
    private readonly List<OperationWaiter> _stopWaiters = [];
    private ServiceMachineState _s;
    private Observation _at;

    /// <summary>Facts whose transition failed, with how often: not part of the state (a new daemon starts afresh).</summary>
    private readonly Dictionary<ServiceMessage, int> _failures = [];

    public ServiceStateMachine(ServiceDefinition definition, bool stoppedByOperator)
        : this(definition, new ServiceMachineState { Restarts = new RestartAccounting { StoppedByOperator = stoppedByOperator } })
    {
    }

    /// <summary>Resumes from a saved <paramref name="state"/>.</summary>
    public ServiceStateMachine(ServiceDefinition definition, ServiceMachineState state)
    {
        Definition = definition;
        _s = state;
    }

    public ServiceDefinition Definition { get; private set; }

    /// <summary>The machine's state as a value, to publish or save.</summary>
    public ServiceMachineState Current => _s;

    public ServiceState State => _s.State;

    /// <summary>Sub-phase of STOPPING; <see cref="StopPhase.None"/> in every other state.</summary>
    public StopPhase Phase => _s.State == ServiceState.Stopping ? _s.Stop.Phase : StopPhase.None;

    /// <summary>The cgroup's populated flag as last observed.</summary>
    public bool Populated => _at.Populated;

    /// <summary>A test's way to fail a transition after its handler changed the state, before it is committed.</summary>
    internal Action<ServiceMessage>? BeforeCommit { get; init; }

    /// <summary>
    /// Applies <paramref name="message"/>, given what was observed with it; returns the effects. Never throws:
    /// a transition that fails is undone and reported (<see cref="TransitionUndone"/>), its caller answered.
    /// </summary>
    public IReadOnlyList<ServiceEffect> Handle(ServiceMessage message, Observation at)
    {
        var (state, definition, starting, stopping) = (_s, Definition, _startWaiters.ToArray(), _stopWaiters.ToArray());
        _effects.Clear();
        _at = at;
        try
        {
            Failpoints.Hit(message is ScheduleTimerFired ? "cron" : "supervisor");
            Dispatch(message);
            BeforeCommit?.Invoke(message);
            if (_failures.Count > 0)
            {
                _failures.Remove(message);
            }
        }
        catch (Exception e)
        {
            (_s, Definition) = (state, definition);
            _startWaiters.Clear();
            _startWaiters.AddRange(starting);
            _stopWaiters.Clear();
            _stopWaiters.AddRange(stopping);
            _effects.Clear();
            Failed(message, e);
        }

        return [.. _effects];
    }

    /// <summary>
    /// What was to be observed with <paramref name="message"/> could not be read (the cgroup's populated flag, say):
    /// it is not handled now, and treated as a failed transition (its caller answered, a fact asked for again).
    /// </summary>
    public IReadOnlyList<ServiceEffect> Unobserved(ServiceMessage message, Exception error)
    {
        _effects.Clear();
        Failed(message, error);
        return [.. _effects];
    }

    /// <summary>
    /// After an undone transition: its caller hears why; a fact is asked for again after 1, 2, then 3 seconds and
    /// then given up. When it comes back it is handled like any message, against the state as it is then.
    /// </summary>
    private void Failed(ServiceMessage message, Exception error)
    {
        var attempt = message.IsFact ? _failures[message] = _failures.GetValueOrDefault(message) + 1 : 1;
        var retry = message.IsFact && attempt <= MaxRetries ? TimeSpan.FromSeconds(attempt) : (TimeSpan?)null;
        if (message.IsFact && retry is null)
        {
            _failures.Remove(message);
        }

        Effect(new TransitionUndone(message, _s.State, error.Message, attempt, retry));
        Complete(message.Caller, OperationOutcome.Failure($"internal error: {error.Message}; nothing was changed"));
        if (message is DefinitionChanged changed)
        {
            Complete(changed.Started, OperationOutcome.Failure($"the new definition was not taken: {error.Message}"));
            if (changed.Reply is { } reply)
            {
                Effect(new CompleteReload(reply, ReloadAction.Failed));
            }
        }
    }

    private void Dispatch(ServiceMessage message)
    {
        switch (message)
        {
            case SupervisionStarted started: OnSupervisionStarted(started); break;
            case StartRequest start: OnStart(start); break;
            case StopRequest stop: OnStopRequest(stop); break;
            case RestartRequest restart: OnRestart(restart); break;
            case SignalRequest signal: OnSignal(signal); break;
            case MainSpawned spawned: OnMainSpawned(spawned); break;
            case SpawnFailed failed: OnSpawnFailed(failed.Error); break;
            case ExecCompleted exec: OnExecCompleted(exec); break;
            case MainExited exited: OnMainExited(exited); break;
            case CgroupChanged: CheckEnded(); break;
            case TimerFired timer: OnTimer(timer.Generation); break;
            case ScheduleTimerFired timer: OnScheduleTimer(timer.Generation); break;
            case StopCommandSpawned: break;
            case StopCommandFailed failed: OnStopCommandFailed(failed.Error); break;
            case StopCommandExited exited: OnStopCommandExited(exited.Status); break;
            case DefinitionChanged changed: OnDefinitionChanged(changed); break;
            case DependencyChanged changed: OnDependencyChanged(changed); break;
            case ProbeDue due: OnProbeDue(due); break;
            case ProbeCompleted result: OnProbeCompleted(result); break;
            case Notified notified: OnNotified(notified.Message); break;
            default: throw new UnreachableException($"{message.GetType().Name} has no handler");
        }
    }

    private static UnreachableException Unhandled(ServiceState state) => new($"state {state} is not handled here");

    /// <summary>
    /// The first message: arm the schedule, then adopt what an earlier daemon's run left (when its state
    /// was saved and its output pipes kept), or kill it.
    /// </summary>
    private void OnSupervisionStarted(SupervisionStarted started)
    {
        var first = !_s.Supervised;
        _s = _s with { Supervised = true };
        ArmSchedule();
        if (!first)
        {
            return; // handled again after a failure, maybe behind a start: nothing found is an earlier daemon's
        }

        if (started.Adoption is { } adoption)
        {
            Adopt(adoption);
        }
        else if (_at.Populated && _s.State == ServiceState.Stopped && !_s.Run.MainAlive)
        {
            KillLeftovers("killing processes left by an earlier daemon");
        }
    }

    /// <summary>Kills what an earlier daemon left: its output pipes died with it, so the service starts fresh.</summary>
    private void KillLeftovers(string reason)
    {
        Effect(new ReportLeftovers());
        _s = _s with { Stop = _s.Stop with { Reason = Supervision.StopReason.Leftovers }, Run = _s.Run with { MainAlive = false } };
        SetState(ServiceState.Stopping, CauseKind.Reexec, reason);
        KillEverything();
    }

    private void OnStart(StartRequest request)
    {
        if (request.Reason == StartReason.Operator)
        {
            _s = _s with { OperatorName = request.By };
        }

        // Only an operator undoes an operator's stop: not boot, a reload or a timer, even while it is stopping.
        if (request.Reason != StartReason.Operator && _s.Restarts.StoppedByOperator)
        {
            Complete(request.Waiter, OperationOutcome.Success("stopped by operator; not started", OutcomeCode.Skipped));
            return;
        }

        switch (_s.State)
        {
            case ServiceState.Starting:
            case ServiceState.Running:
                if (request.Reason == StartReason.Operator)
                {
                    ClearHistory(request.Force);
                }

                Complete(request.Waiter, OperationOutcome.Success($"already running{Pid()}", OutcomeCode.AlreadyRunning));
                return;
            case ServiceState.Waiting:
                if (request.Reason == StartReason.Operator)
                {
                    ClearHistory(request.Force);
                }

                if (request.IgnoreDependencies)
                {
                    _s = _s with { Dependencies = _s.Dependencies with { IgnoredByNextStart = true } };
                    Add(request.Waiter, _startWaiters);
                    CancelTimer();
                    EnterStarting(request.Reason);
                    return;
                }

                WaitOrAnswer(request);
                return;
            case ServiceState.Stopping:
                // Start again as soon as the stop completes.
                _s = _s with { Stop = _s.Stop with { Reason = Supervision.StopReason.Restart, RestartAs = request.Reason } };
                Add(request.Waiter, _startWaiters);
                return;
            case ServiceState.Backoff when request.Reason != StartReason.Operator:
                // The restart policy's start is due (e.g. a boot behind an adoption that found it ended): it counts.
                Complete(request.Waiter, OperationOutcome.Success("restart pending", OutcomeCode.Pending));
                return;
            case ServiceState.Stopped or ServiceState.Failed or ServiceState.Exited or ServiceState.Backoff:
                break; // started below
            default:
                throw Unhandled(_s.State);
        }

        if (HasProcesses)
        {
            // What a stop could not kill is still there: a second instance would run beside it.
            Complete(request.Waiter, OperationOutcome.Failure("processes of its last run are still in its cgroup; stop it first (or find out what holds them)", OutcomeCode.Refused));
            return;
        }

        if (!Definition.Enabled && !request.Force)
        {
            Complete(request.Waiter, request.Reason == StartReason.Operator
                ? OperationOutcome.Failure($"service {Definition.Name} is disabled; use --force to run it once anyway", OutcomeCode.Refused)
                : OperationOutcome.Success("disabled; not started", OutcomeCode.Skipped));
            return;
        }

        if (request.Reason == StartReason.Operator)
        {
            ClearHistory(request.Force);
        }

        _s = _s with { Dependencies = _s.Dependencies with { IgnoredByNextStart = request.IgnoreDependencies } };
        EnterStarting(request.Reason);
        WaitOrAnswer(request);
    }

    /// <summary>
    /// An operator's start is answered once the service runs (or failed); a boot or reload start is answered
    /// already when the service waits for its dependencies, so that boot never hangs on a dependency.
    /// </summary>
    private void WaitOrAnswer(StartRequest request)
    {
        if (_s.State == ServiceState.Waiting && request.Reason != StartReason.Operator)
        {
            Complete(request.Waiter, OperationOutcome.Success($"waiting for {WaitingFor(Definition, _s)}", OutcomeCode.Waiting));
        }
        else
        {
            Add(request.Waiter, _startWaiters);
        }
    }

    private void OnRestart(RestartRequest request)
    {
        _s = _s with { OperatorName = request.By };
        if (!Definition.Enabled && !request.Force)
        {
            Complete(request.Waiter, OperationOutcome.Failure($"service {Definition.Name} is disabled; use --force to run it once anyway", OutcomeCode.Refused));
            return;
        }

        ClearHistory(request.Force);
        Add(request.Waiter, _startWaiters);
        _s = _s with { Dependencies = _s.Dependencies with { IgnoredByNextStart = request.IgnoreDependencies } };
        RestartNow(StartReason.Restart);
    }

    /// <summary>Stops what runs (or is left), then starts as <paramref name="reason"/>; starts at once when nothing runs.</summary>
    private void RestartNow(StartReason reason)
    {
        switch (_s.State)
        {
            case ServiceState.Running:
                EnterStopping(Supervision.StopReason.Restart, reason);
                break;
            case ServiceState.Stopping:
                _s = _s with { Stop = _s.Stop with { Reason = Supervision.StopReason.Restart, RestartAs = reason } };
                break;
            case ServiceState.Starting:
                _s = _s with { Stop = _s.Stop with { Pending = Supervision.StopReason.Restart, RestartAs = reason } };
                break;
            case var _ when HasProcesses:
                EnterStopping(Supervision.StopReason.Restart, reason); // what is left of the last run goes first
                break;
            case ServiceState.Stopped or ServiceState.Failed or ServiceState.Exited or ServiceState.Backoff or ServiceState.Waiting:
                CancelTimer();
                EnterStarting(reason);
                break;
            default:
                throw Unhandled(_s.State);
        }
    }

    /// <summary>An operator start or restart: forget crash history and the operator's earlier stop.</summary>
    private void ClearHistory(bool force)
    {
        _s = _s with { Restarts = _s.Restarts with { Crashes = [], Count = 0, FailedStarts = 0, ForcedWhileDisabled = force && !Definition.Enabled } };
        if (_s.Restarts.StoppedByOperator)
        {
            _s = _s with { Restarts = _s.Restarts with { StoppedByOperator = false } };
            Effect(new PersistOperatorStop(false));
        }
    }

    private void EnterStarting(StartReason reason)
    {
        if (!_s.Dependencies.IgnoredByNextStart && Unmet().Count > 0)
        {
            EnterWaiting(reason);
            return;
        }

        _s = _s with
        {
            Run = RunRecord.Begin(_s.Run, reason, _at.Wall, _at.Monotonic, CurrentDependencyRuns()),
            Stop = new StopRecord(),
            Probes = _s.Probes.ForNewRun(),
            Dependencies = _s.Dependencies.Started(),
            LastError = null,
        };
        SetState(ServiceState.Starting, CauseOf(reason), $"starting ({reason.Name()})");
        Effect(new SpawnMain());
        ArmTimer(StartTimeout);
    }

    private void OnMainSpawned(MainSpawned spawned)
    {
        if (_s.State == ServiceState.Starting && _s.Run.MainPid is null)
        {
            _s = _s with { Run = _s.Run with { MainPid = spawned.Pid, MainAlive = true } };
        }
    }

    private void OnSpawnFailed(string error)
    {
        if (_s.State != ServiceState.Starting)
        {
            return;
        }

        _s = _s with { Run = _s.Run with { ExecError = error } };
        FailStart(error);
        Ended();
    }

    private void OnExecCompleted(ExecCompleted exec)
    {
        if (exec.Pid != _s.Run.MainPid || _s.State != ServiceState.Starting || _s.Run.ExecConfirmed || _s.Run.ExecError is not null)
        {
            return;
        }

        if (exec.Error is not null)
        {
            _s = _s with { Run = _s.Run with { ExecError = exec.Error } };
            FailStart(exec.Error);
            CheckEnded();
            return;
        }

        _s = _s with { Run = _s.Run with { ExecConfirmed = true } };
        CancelTimer();
        SetState(ServiceState.Running, CauseOf(_s.Run.StartedAs), $"running (pid {_s.Run.MainPid})");
        CompleteAll(_startWaiters, OperationOutcome.Success($"started (pid {_s.Run.MainPid})"));
        if (Definition.Schedule?.MaxTimePerRun is { } limit)
        {
            ArmTimer(limit);
        }

        if (_s.Stop.Pending is { } pending)
        {
            _s = _s with { Stop = _s.Stop with { Pending = null } };
            EnterStopping(pending, _s.Stop.RestartAs);
            return;
        }

        // A quick main process can be reaped before its exec status is read: it ended while starting.
        ReportProcessesLeft();
        CheckEnded();
    }

    private void FailStart(string error)
    {
        _s = _s with { LastError = error };
        Record(new StartFailed(error));
        CompleteAll(_startWaiters, OperationOutcome.Failure($"start failed: {error}"));
    }

    private void OnMainExited(MainExited exited)
    {
        if (exited.Pid != _s.Run.MainPid || !_s.Run.MainAlive)
        {
            return;
        }

        _s = _s with { Run = _s.Run with { MainAlive = false }, LastExit = exited.Status };
        if (Definition.Process.ExitType == Configuration.ExitType.Main && _at.Populated &&
            _s is { State: ServiceState.Running } or { State: ServiceState.Starting, Run.ExecConfirmed: true })
        {
            EnterStopping(Supervision.StopReason.MainEnded); // the service has ended: what its main process left goes too
            return;
        }

        if (_s.State == ServiceState.Running)
        {
            ReportProcessesLeft();
        }

        CheckEnded();
    }

    /// <summary>Says so when the main process is gone but the cgroup still runs something (a daemonizing service).</summary>
    private void ReportProcessesLeft()
    {
        if (!_s.Run.MainAlive && _at.Populated && _s.LastExit is { } status)
        {
            Record(new MainEndedGroupRuns(_s.Run.MainPid, status));
        }
    }

    /// <summary>The main process lives or the cgroup holds a process.</summary>
    private bool HasProcesses => _s.Run.MainAlive || _at.Populated;

    /// <summary>The service has ended once its main process was reaped and its cgroup is empty.</summary>
    private void CheckEnded()
    {
        if (HasProcesses)
        {
            return;
        }

        if (_s.Run.StartedMonotonic is { } started && _s.State is ServiceState.Starting or ServiceState.Running or ServiceState.Stopping)
        {
            _s = _s with { LastRunDuration = _at.Monotonic - started };
        }

        switch (_s.State)
        {
            case ServiceState.Starting when _s.Run.ExecError is not null:
            case ServiceState.Starting when _s.Run.ExecConfirmed:
            case ServiceState.Running:
                Ended();
                break;
            // The stop command is one of the service's processes: the stop is complete once its exit is
            // seen too (its cgroup empties when it exits, a moment before it is reaped).
            case ServiceState.Stopping when _s.Stop.Phase != StopPhase.StopCommand:
                Stopped();
                break;
            case ServiceState.Starting or ServiceState.Stopping or ServiceState.Stopped or ServiceState.Backoff or ServiceState.Failed
                or ServiceState.Exited or ServiceState.Waiting:
                break; // nothing that was running ended (or the exec is not confirmed yet, or the stop command still runs)
            default:
                throw Unhandled(_s.State);
        }
    }

    /// <summary>The service ended by itself (or failed to start): decide what comes next.</summary>
    private void Ended()
    {
        CancelTimer();
        var exit = _s.Run.ExecError is not null ? $"start failed: {_s.Run.ExecError}" : _s.LastExit?.ToString() ?? "ended";
        if (_s.Stop.Pending is { } pending)
        {
            // A stop (or restart) asked for while it was starting: it ended by itself before the stop began.
            _s = _s with { Stop = _s.Stop with { Pending = null } };
            CompleteAll(_stopWaiters, OperationOutcome.Success("stopped"));
            if (pending != Supervision.StopReason.Restart)
            {
                SetState(ServiceState.Stopped, CauseOf(pending), $"stopped ({exit})", EndedWith());
                CompleteAll(_startWaiters, OperationOutcome.Failure("stopped before it started", OutcomeCode.Cancelled));
                return;
            }

            if (_startWaiters.Count > 0 || _s.Stop.RestartAs == StartReason.Reload)
            {
                EnterStarting(_s.Stop.RestartAs);
                return;
            }

            // The restart was the start that just failed, and its caller heard so: the restart policy decides.
        }

        if (Definition.IsCron)
        {
            SetState(ServiceState.Stopped, EndCause(), $"run finished ({exit})", EndedWith());
            return;
        }

        if (_s.Restarts.ForcedWhileDisabled || !Definition.Enabled)
        {
            SetState(ServiceState.Stopped, EndCause(), $"ended ({exit}); not restarted because the service is disabled", EndedWith());
            return;
        }

        var settings = Definition.Restart ?? RestartSettings.Default;
        var uptime = _at.Monotonic - _s.Run.StartedMonotonic;
        var run = new RunEnd(EndedWith(), _s.Run.ExecError is not null, uptime, Hung: _s.Stop.Reason == Supervision.StopReason.Liveness);
        var verdict = RestartDecision.Decide(settings, Definition.Process.StopSignal, run, exit, _s.Restarts, _at.Monotonic);
        _s = _s with { Restarts = verdict.Restarts, LastError = verdict.Next == ServiceState.Failed ? verdict.Reason : _s.LastError };
        // The cause is how it exited, however long it ran (a quick successful exit is a failed start, not a crash).
        SetState(verdict.Next, EndCause(run.ExitedSuccessfully(settings, Definition.Process.StopSignal)), verdict.Reason, EndedWith());
        if (verdict.Next == ServiceState.Backoff)
        {
            ArmTimer(settings.Backoff);
        }
    }

    private void OnTimer(long generation)
    {
        if (generation != _s.TimerGeneration)
        {
            return; // a timer that was cancelled or re-armed meanwhile
        }

        switch (_s.State)
        {
            case ServiceState.Starting:
                _s = _s with { Run = _s.Run with { ExecError = $"the command was not executed within {DurationText.Format(StartTimeout)}" } };
                FailStart(_s.Run.ExecError!);
                if (_s.Run.MainPid is { } pid && _s.Run.MainAlive)
                {
                    Effect(new KillMain(pid));
                }

                Effect(new KillCgroup());
                CheckEnded();
                break;
            case ServiceState.Running when Definition.Schedule?.MaxTimePerRun is { } limit:
                _s = _s with { Run = _s.Run with { Overtime = true } };
                Record(new RunOvertime(limit));
                EnterStopping(Supervision.StopReason.Overtime);
                break;
            case ServiceState.Backoff:
                _s = _s with { Restarts = _s.Restarts with { Count = _s.Restarts.Count + 1 } };
                EnterStarting(StartReason.AutoRestart);
                break;
            case ServiceState.Stopping:
                OnStopDeadline();
                break;
            case ServiceState.Waiting:
                CheckWaiting();
                break;
            case ServiceState.Running or ServiceState.Stopped or ServiceState.Failed or ServiceState.Exited:
                break; // no deadline means anything there
            default:
                throw Unhandled(_s.State);
        }
    }

    /// <summary>The one place the state changes; it also begins and ends what only RUNNING has (probes).</summary>
    /// <param name="exit">How the run ended, when the change is its end.</param>
    private void SetState(ServiceState next, Cause cause, string reason, ExitStatus? exit = null)
    {
        var previous = _s.State;
        _s = _s with { State = next, StateSince = _at.Wall, Stop = _s.Stop with { Phase = StopPhase.None } };
        Record(new StateChanged(previous, next, cause, reason, _s.Run.MainPid, exit));
        if (previous == ServiceState.Running && next != ServiceState.Running)
        {
            CancelProbes();
        }
        else if (next == ServiceState.Running && previous != ServiceState.Running)
        {
            ArmProbes();
        }
    }

    /// <summary>The exit status of the run that ended (none when its command never ran).</summary>
    private ExitStatus? EndedWith() => _s.Run.ExecError is null ? _s.LastExit : null;

    private void ArmTimer(TimeSpan delay)
    {
        _s = _s with { TimerGeneration = _s.TimerGeneration + 1 };
        Effect(new ArmTimer(delay < TimeSpan.Zero ? TimeSpan.Zero : delay, _s.TimerGeneration));
    }

    private void CancelTimer()
    {
        _s = _s with { TimerGeneration = _s.TimerGeneration + 1 };
        Effect(new CancelTimer());
    }

    private void Record(Event e) => Effect(new RecordEvent(e));

    private void Effect(ServiceEffect effect) => _effects.Add(effect);

    private static void Add(OperationWaiter? waiter, List<OperationWaiter> list)
    {
        if (waiter is not null)
        {
            list.Add(waiter);
        }
    }

    private void Complete(OperationWaiter? waiter, OperationOutcome result)
    {
        if (waiter is not null)
        {
            Effect(new CompleteWaiter(waiter, result));
        }
    }

    private void CompleteAll(List<OperationWaiter> waiters, OperationOutcome result)
    {
        foreach (var waiter in waiters)
        {
            Effect(new CompleteWaiter(waiter, result));
        }

        waiters.Clear();
    }

    private string Pid() => _s.Run.MainPid is { } pid && _s.Run.MainAlive ? $" (pid {pid})" : "";
}
