using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Configuration.Values;
using ProcessMaster.Core.Interop;

namespace ProcessMaster.Core.Supervision;

/// <summary>
/// The lifecycle of one service as a deterministic machine without I/O: <see cref="Handle"/> takes a
/// message and the time, updates the state and returns the effects to perform. Its supervisor feeds it
/// the observed facts (the cgroup's populated flag is refreshed before every message) and performs
/// the effects. One deadline timer serves every state; what it means depends on the state.
/// </summary>
public sealed partial class ServiceStateMachine
{
    /// <summary>How long the shim may take to execute the command before the start counts as failed.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How long after cgroup.kill the cgroup may take to empty before the stop is reported stuck.</summary>
    public static readonly TimeSpan KillTimeout = TimeSpan.FromSeconds(5);

    private readonly List<ServiceEffect> _effects = [];
    private readonly List<OperationWaiter> _startWaiters = [];
    private readonly List<OperationWaiter> _stopWaiters = [];
    private readonly Queue<TimeSpan> _crashes = new();
    private TimeSpan _now;
    private DateTimeOffset _wallNow;
    private long _timerGeneration;

    public ServiceStateMachine(ServiceDefinition definition, bool stoppedByOperator)
    {
        Definition = definition;
        StoppedByOperator = stoppedByOperator;
    }

    public ServiceDefinition Definition { get; private set; }

    public ServiceState State { get; private set; } = ServiceState.Stopped;

    /// <summary>When the current state was entered (wall clock).</summary>
    public DateTimeOffset? StateSince { get; private set; }

    /// <summary>Sub-phase of STOPPING.</summary>
    public StopPhase Phase { get; private set; }

    /// <summary>Why the current (or last) stop happened.</summary>
    public StopReason? StopReason { get; private set; }

    /// <summary>The main process: the shim, then (same pid) the command.</summary>
    public int? MainPid { get; private set; }

    /// <summary>True from spawn until the main process was reaped.</summary>
    public bool MainAlive { get; private set; }

    /// <summary>The cgroup's populated flag, refreshed by the supervisor before every message.</summary>
    public bool Populated { get; set; }

    /// <summary>How the main process ended last time.</summary>
    public ExitStatus? LastExit { get; private set; }

    /// <summary>Why the last start failed, if it did.</summary>
    public string? LastError { get; private set; }

    /// <summary>When the last start attempt was made (wall clock).</summary>
    public DateTimeOffset? LastStartAttempt { get; private set; }

    /// <summary>Automatic restarts since an operator last started the service.</summary>
    public int Restarts { get; private set; }

    /// <summary>The operator stopped it; it stays stopped across daemon restarts until started again.</summary>
    public bool StoppedByOperator { get; private set; }

    /// <summary>Started with --force while disabled: it runs once and is not restarted.</summary>
    public bool ForcedWhileDisabled { get; private set; }

    /// <summary>The last cron run was stopped for exceeding max_time_per_run.</summary>
    public bool LastRunOvertime { get; private set; }

    /// <summary>The shim reported an error (or timed out) for the current start.</summary>
    private string? _execError;

    private bool _execConfirmed;

    /// <summary>A stop that arrived while the command was not executed yet.</summary>
    private StopReason? _pendingStop;

    private StartReason _startReason;

    /// <summary>Applies <paramref name="message"/> at monotonic time <paramref name="now"/>; returns the effects.</summary>
    public IReadOnlyList<ServiceEffect> Handle(ServiceMessage message, TimeSpan now, DateTimeOffset wallNow)
    {
        _effects.Clear();
        _now = now;
        _wallNow = wallNow;
        switch (message)
        {
            case StartRequest start: OnStart(start); break;
            case StopRequest stop: OnStop(stop.Reason, stop.Waiter); break;
            case RestartRequest restart: OnRestart(restart); break;
            case MainSpawned spawned: OnMainSpawned(spawned); break;
            case SpawnFailed failed: OnSpawnFailed(failed.Error); break;
            case ExecCompleted exec: OnExecCompleted(exec); break;
            case MainExited exited: OnMainExited(exited); break;
            case CgroupChanged: CheckEnded(); break;
            case TimerFired timer: OnTimer(timer.Generation); break;
            case StopCommandSpawned: break;
            case StopCommandFailed failed: OnStopCommandFailed(failed.Error); break;
            case StopCommandExited exited: OnStopCommandExited(exited.Status); break;
            case ScheduledRun run: OnScheduledRun(run); break;
            case DefinitionChanged changed: Definition = changed.Definition; break;
        }

        return [.. _effects];
    }

    private void OnStart(StartRequest request)
    {
        // Only an operator undoes an operator's stop: not boot, a reload or a timer, even while it is stopping.
        if (request.Reason != StartReason.Operator && StoppedByOperator)
        {
            Complete(request.Waiter, OperationResult.Success("stopped by operator; not started"));
            return;
        }

        switch (State)
        {
            case ServiceState.Starting:
            case ServiceState.Running:
                if (request.Reason == StartReason.Operator)
                {
                    ClearHistory(request.Force);
                }

                Complete(request.Waiter, OperationResult.Success($"already running{Pid()}"));
                return;
            case ServiceState.Stopping:
                // Start again as soon as the stop completes.
                StopReason = Supervision.StopReason.Restart;
                Add(request.Waiter, _startWaiters);
                return;
        }

        if (MainAlive || Populated)
        {
            // What a stop could not kill is still there: a second instance would run beside it.
            Complete(request.Waiter, OperationResult.Failure("processes of its last run are still in its cgroup; stop it first (or find out what holds them)"));
            return;
        }

        if (!Definition.Enabled && !request.Force)
        {
            Complete(request.Waiter, request.Reason == StartReason.Operator
                ? OperationResult.Failure($"service {Definition.Name} is disabled; use --force to run it once anyway")
                : OperationResult.Success("disabled; not started"));
            return;
        }

        if (request.Reason == StartReason.Operator)
        {
            ClearHistory(request.Force);
        }

        Add(request.Waiter, _startWaiters);
        EnterStarting(request.Reason);
    }

    private void OnRestart(RestartRequest request)
    {
        if (!Definition.Enabled && !request.Force)
        {
            Complete(request.Waiter, OperationResult.Failure($"service {Definition.Name} is disabled; use --force to run it once anyway"));
            return;
        }

        ClearHistory(request.Force);
        Add(request.Waiter, _startWaiters);
        switch (State)
        {
            case ServiceState.Running:
                EnterStopping(Supervision.StopReason.Restart);
                break;
            case ServiceState.Stopping:
                StopReason = Supervision.StopReason.Restart;
                break;
            case ServiceState.Starting:
                _pendingStop = Supervision.StopReason.Restart;
                break;
            case var _ when MainAlive || Populated:
                EnterStopping(Supervision.StopReason.Restart); // what is left of the last run goes first
                break;
            default:
                CancelTimer();
                EnterStarting(StartReason.Restart);
                break;
        }
    }

    /// <summary>An operator start or restart: forget crash history and the operator's earlier stop.</summary>
    private void ClearHistory(bool force)
    {
        _crashes.Clear();
        Restarts = 0;
        ForcedWhileDisabled = force && !Definition.Enabled;
        if (StoppedByOperator)
        {
            StoppedByOperator = false;
            Effect(new PersistOperatorStop(false));
        }
    }

    private void EnterStarting(StartReason reason)
    {
        _startReason = reason;
        _execError = null;
        _execConfirmed = false;
        _pendingStop = null;
        LastError = null;
        LastRunOvertime = Definition.IsCron ? false : LastRunOvertime;
        MainPid = null;
        MainAlive = false;
        LastStartAttempt = _wallNow;
        SetState(ServiceState.Starting, $"starting ({reason.Name()})");
        Effect(new SpawnMain());
        ArmTimer(StartTimeout);
    }

    private void OnMainSpawned(MainSpawned spawned)
    {
        if (State == ServiceState.Starting && MainPid is null)
        {
            MainPid = spawned.Pid;
            MainAlive = true;
        }
    }

    private void OnSpawnFailed(string error)
    {
        if (State != ServiceState.Starting)
        {
            return;
        }

        _execError = error;
        FailStart(error);
        Ended();
    }

    private void OnExecCompleted(ExecCompleted exec)
    {
        if (exec.Pid != MainPid || State != ServiceState.Starting || _execConfirmed || _execError is not null)
        {
            return;
        }

        if (exec.Error is not null)
        {
            _execError = exec.Error;
            FailStart(exec.Error);
            CheckEnded();
            return;
        }

        _execConfirmed = true;
        CancelTimer();
        SetState(ServiceState.Running, $"running (pid {MainPid})");
        CompleteAll(_startWaiters, OperationResult.Success($"started (pid {MainPid})"));
        if (Definition.Schedule?.MaxTimePerRun is { } limit)
        {
            ArmTimer(limit);
        }

        if (_pendingStop is { } pending)
        {
            _pendingStop = null;
            EnterStopping(pending);
            return;
        }

        CheckEnded();
    }

    private void FailStart(string error)
    {
        LastError = error;
        Record("start", $"start failed: {error}");
        CompleteAll(_startWaiters, OperationResult.Failure($"start failed: {error}"));
    }

    private void OnMainExited(MainExited exited)
    {
        if (exited.Pid != MainPid || !MainAlive)
        {
            return;
        }

        MainAlive = false;
        LastExit = exited.Status;
        if (State == ServiceState.Running && Populated)
        {
            Record("watch", $"main process {exited.Pid} ended ({exited.Status}); other processes remain in the cgroup, still running");
        }

        CheckEnded();
    }

    /// <summary>The service has ended once its main process was reaped and its cgroup is empty.</summary>
    private void CheckEnded()
    {
        if (MainAlive || Populated)
        {
            return;
        }

        switch (State)
        {
            case ServiceState.Starting when _execError is not null:
            case ServiceState.Starting when _execConfirmed:
            case ServiceState.Running:
                Ended();
                break;
            // The stop command is one of the service's processes: the stop is complete once its exit is
            // seen too (its cgroup empties when it exits, a moment before it is reaped).
            case ServiceState.Stopping when Phase != StopPhase.StopCommand:
                Stopped();
                break;
        }
    }

    /// <summary>The service ended by itself (or failed to start): decide what comes next.</summary>
    private void Ended()
    {
        CancelTimer();
        var exit = _execError is not null ? $"start failed: {_execError}" : LastExit?.ToString() ?? "ended";
        if (_pendingStop is { } pending)
        {
            // A stop (or restart) asked for while it was starting: it ended by itself before the stop began.
            _pendingStop = null;
            CompleteAll(_stopWaiters, OperationResult.Success("stopped"));
            if (pending != Supervision.StopReason.Restart)
            {
                SetState(ServiceState.Stopped, $"stopped ({exit})");
                CompleteAll(_startWaiters, OperationResult.Failure("stopped before it started"));
                return;
            }

            if (_startWaiters.Count > 0)
            {
                EnterStarting(StartReason.Restart);
                return;
            }

            // The restart was the start that just failed, and its caller heard so: the restart policy decides.
        }

        if (Definition.IsCron)
        {
            SetState(ServiceState.Stopped, $"run finished ({exit})");
            return;
        }

        if (ForcedWhileDisabled || !Definition.Enabled)
        {
            SetState(ServiceState.Stopped, $"ended ({exit}); not restarted because the service is disabled");
            return;
        }

        var clean = _execError is null && LastExit is { Success: true };
        var verdict = RestartDecision.Decide(Definition.Restart ?? RestartSettings.Default, clean, _crashes, _now);
        SetState(verdict.Next, $"ended ({exit}); {verdict.Reason}");
        if (verdict.Next == ServiceState.Backoff)
        {
            ArmTimer(Definition.Restart?.Backoff ?? RestartSettings.Default.Backoff);
        }
    }

    private void OnTimer(long generation)
    {
        if (generation != _timerGeneration)
        {
            return; // a timer that was cancelled or re-armed meanwhile
        }

        switch (State)
        {
            case ServiceState.Starting:
                _execError = $"the command was not executed within {DurationText.Format(StartTimeout)}";
                FailStart(_execError);
                if (MainPid is { } pid && MainAlive)
                {
                    Effect(new KillMain(pid));
                }

                Effect(new KillCgroup());
                CheckEnded();
                break;
            case ServiceState.Running when Definition.Schedule?.MaxTimePerRun is { } limit:
                LastRunOvertime = true;
                Record("overtime", $"run exceeded max_time_per_run={DurationText.Format(limit)}; stopping it");
                EnterStopping(Supervision.StopReason.Overtime);
                break;
            case ServiceState.Backoff:
                Restarts++;
                EnterStarting(StartReason.AutoRestart);
                break;
            case ServiceState.Stopping:
                OnStopDeadline();
                break;
        }
    }

    private void OnScheduledRun(ScheduledRun run)
    {
        if (State.IsActive())
        {
            Record("schedule", $"tick {run.Tick.ToLocalTime():yyyy-MM-dd HH:mm:ss} skipped: the previous run is still {State.Name()}");
            return;
        }

        if (MainAlive || Populated)
        {
            Record("schedule", $"tick {run.Tick.ToLocalTime():yyyy-MM-dd HH:mm:ss} skipped: processes of the previous run are still in its cgroup");
            return;
        }

        if (!Definition.Enabled)
        {
            Record("schedule", $"tick {run.Tick.ToLocalTime():yyyy-MM-dd HH:mm:ss} skipped: disabled");
            return;
        }

        Record("schedule", $"tick {run.Tick.ToLocalTime():yyyy-MM-dd HH:mm:ss}: starting a run");
        EnterStarting(StartReason.Scheduled);
    }

    private void SetState(ServiceState next, string reason)
    {
        var previous = State;
        State = next;
        StateSince = _wallNow;
        Record("state", previous == next ? reason : $"{previous.Name()} -> {next.Name()}: {reason}");
    }

    private void ArmTimer(TimeSpan delay) => Effect(new ArmTimer(delay < TimeSpan.Zero ? TimeSpan.Zero : delay, ++_timerGeneration));

    private void CancelTimer()
    {
        _timerGeneration++;
        Effect(new CancelTimer());
    }

    private void Record(string component, string message) => Effect(new RecordEvent(component, message));

    private void Effect(ServiceEffect effect) => _effects.Add(effect);

    private static void Add(OperationWaiter? waiter, List<OperationWaiter> list)
    {
        if (waiter is not null)
        {
            list.Add(waiter);
        }
    }

    private void Complete(OperationWaiter? waiter, OperationResult result)
    {
        if (waiter is not null)
        {
            Effect(new CompleteWaiter(waiter, result));
        }
    }

    private void CompleteAll(List<OperationWaiter> waiters, OperationResult result)
    {
        foreach (var waiter in waiters)
        {
            Effect(new CompleteWaiter(waiter, result));
        }

        waiters.Clear();
    }

    private string Pid() => MainPid is { } pid && MainAlive ? $" (pid {pid})" : "";
}
