namespace ProcessMaster.Core.Supervision;

/// <summary>
/// What the state machine asks its supervisor to do; the supervisor performs the I/O. Each concrete type is
/// performed by the supervisor (a test walks them all).
/// </summary>
public abstract record ServiceEffect;

/// <summary>Apply the limits and spawn the start command.</summary>
public sealed record SpawnMain : ServiceEffect;

public sealed record SpawnStopCommand : ServiceEffect;

/// <summary>
/// Signal every process of the service (then SIGCONT, so stopped processes see it); <paramref name="Answer"/>,
/// an operator's request, hears how many got it.
/// </summary>
public sealed record SignalAll(int Signal, OperationWaiter? Answer = null) : ServiceEffect;

/// <summary>Signal the main process alone (then SIGCONT), if it is still in the service's cgroup.</summary>
public sealed record SignalMain(int Pid, int Signal, OperationWaiter? Answer = null) : ServiceEffect;

/// <summary>SIGKILL the main process by pid (it may not have joined the cgroup yet).</summary>
public sealed record KillMain(int Pid) : ServiceEffect;

/// <summary>Write cgroup.kill: SIGKILL the whole subtree.</summary>
public sealed record KillCgroup : ServiceEffect;

/// <summary>Watch an adopted main process (not necessarily the daemon's child) and report its end as <see cref="MainExited"/>.</summary>
public sealed record WatchMain(int Pid) : ServiceEffect;

/// <summary>Say which processes an earlier daemon left in the cgroup (they are killed next).</summary>
public sealed record ReportLeftovers : ServiceEffect;

public sealed record ArmTimer(TimeSpan Delay, long Generation) : ServiceEffect;

public sealed record CancelTimer : ServiceEffect;

public sealed record ArmScheduleTimer(TimeSpan Delay, long Generation) : ServiceEffect;

public sealed record CancelScheduleTimer : ServiceEffect;

public sealed record CompleteWaiter(OperationWaiter Waiter, OperationOutcome Result) : ServiceEffect;

public sealed record CompleteReload(Reply<ReloadAction> Reply, ReloadAction Action) : ServiceEffect;

/// <summary>A stop could not empty the cgroup: fail the waiters, naming the pids that remain.</summary>
public sealed record FailStuckStop(IReadOnlyList<OperationWaiter> Waiters) : ServiceEffect;

/// <summary>Record an event of the service (typed; rendered by the event log).</summary>
public sealed record RecordEvent(Events.Event Event) : ServiceEffect;

/// <summary>
/// Handling <paramref name="Message"/> threw: nothing of the transition took effect (the state is as it was).
/// <paramref name="RetryIn"/> is when the machine wants the message again (a fact), null when it does not.
/// </summary>
public sealed record TransitionUndone(ServiceMessage Message, ServiceState State, string Error, int Attempt, TimeSpan? RetryIn) : ServiceEffect;

/// <summary>Remember (or forget) across daemon restarts that an operator stopped the service.</summary>
public sealed record PersistOperatorStop(bool Stopped) : ServiceEffect;

/// <summary>Post <see cref="ProbeDue"/> for <paramref name="Kind"/> after <paramref name="Delay"/> (replacing that kind's timer).</summary>
public sealed record ArmProbeTimer(ProbeKind Kind, TimeSpan Delay, long Generation) : ServiceEffect;

/// <summary>The service left RUNNING: no probe of this run may run any more.</summary>
public sealed record CancelProbeTimers : ServiceEffect;

/// <summary>Run the probe and post <see cref="ProbeCompleted"/>.</summary>
public sealed record RunProbe(ProbeKind Kind, long Generation) : ServiceEffect;
