using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Interop;

namespace ProcessMaster.Core.Supervision;

/// <summary>
/// Everything that can happen to a service is a message in its supervisor's mailbox. Each concrete type is
/// handled by <see cref="ServiceStateMachine.Handle"/> (a test walks them all).
/// </summary>
public abstract record ServiceMessage
{
    /// <summary>Who waits for the outcome of this message: the caller of an operator's request.</summary>
    public virtual OperationWaiter? Caller => null;

    /// <summary>
    /// A fact or a timer (an exit, an emptied cgroup, a tick): losing one would stall the service, so a transition
    /// on it that failed is tried again. A request is answered with the failure instead.
    /// </summary>
    public virtual bool IsFact => true;
}

/// <summary>
/// The supervisor's first message: the cgroup exists and is watched. <paramref name="Adoption"/> is set when
/// the machine resumes the state an earlier daemon saved and its processes may be adopted.
/// </summary>
public sealed record SupervisionStarted(Adoption? Adoption = null) : ServiceMessage;

/// <summary>What the supervisor found of an earlier daemon's run of the service.</summary>
/// <param name="MainPid">The saved main process, when it still runs in the service's cgroup.</param>
public sealed record Adoption(int? MainPid);

/// <param name="Force">Run even though the service is disabled (the file is not changed).</param>
/// <param name="IgnoreDependencies">Start now, whatever its dependencies (<c>--no-deps</c>).</param>
/// <param name="By">Who gave an operator's command (its events name them).</param>
public sealed record StartRequest(StartReason Reason, bool Force = false, OperationWaiter? Waiter = null, bool IgnoreDependencies = false, string? By = null) : ServiceMessage
{
    public override OperationWaiter? Caller => Waiter;

    public override bool IsFact => false;
}

public sealed record StopRequest(StopReason Reason, OperationWaiter? Waiter = null, string? By = null) : ServiceMessage
{
    public override OperationWaiter? Caller => Waiter;

    public override bool IsFact => false;
}

public sealed record RestartRequest(bool Force = false, OperationWaiter? Waiter = null, bool IgnoreDependencies = false, string? By = null) : ServiceMessage
{
    public override OperationWaiter? Caller => Waiter;

    public override bool IsFact => false;
}

/// <summary>An operator's signal to the service's processes (<c>pmctl signal</c>): all of them, or the main process only.</summary>
public sealed record SignalRequest(int Signal, bool MainOnly, OperationWaiter Waiter) : ServiceMessage
{
    public override OperationWaiter? Caller => Waiter;

    public override bool IsFact => false;
}

/// <summary>The main process was spawned (the shim runs; the command is not executed yet).</summary>
public sealed record MainSpawned(int Pid) : ServiceMessage;

/// <summary>The main process could not be spawned at all.</summary>
public sealed record SpawnFailed(string Error) : ServiceMessage;

/// <summary>The shim executed the command (<paramref name="Error"/> null) or reported why it could not.</summary>
public sealed record ExecCompleted(int Pid, string? Error) : ServiceMessage;

public sealed record MainExited(int Pid, ExitStatus Status) : ServiceMessage;

/// <summary>The cgroup's populated flag changed (from cgroup.events).</summary>
public sealed record CgroupChanged : ServiceMessage;

public sealed record TimerFired(long Generation) : ServiceMessage;

public sealed record StopCommandSpawned(int Pid) : ServiceMessage;

public sealed record StopCommandFailed(string Error) : ServiceMessage;

public sealed record StopCommandExited(int Pid, ExitStatus Status) : ServiceMessage;

/// <summary>The schedule timer armed with <paramref name="Generation"/> fired.</summary>
public sealed record ScheduleTimerFired(long Generation) : ServiceMessage;

/// <summary>
/// A reloaded definition; <paramref name="Reply"/> hears what the machine made of it, <paramref name="Started"/>
/// (when it restarts or starts) how that start went, once it runs again or did not.
/// </summary>
public sealed record DefinitionChanged(ServiceDefinition Definition, Reply<ReloadAction>? Reply = null, OperationWaiter? Started = null) : ServiceMessage
{
    public override bool IsFact => false; // the reload hears how it went
}

/// <summary>What one of the service's dependencies is now (the manager tells each dependent).</summary>
public sealed record DependencyChanged(string Service, DependencyStatus Status) : ServiceMessage;

/// <summary>A probe's timer fired (for the watchdog: no ping came in time).</summary>
public sealed record ProbeDue(ProbeKind Kind, long Generation) : ServiceMessage;

/// <summary>A probe ran: whether it passed, and what it said (quoted in events).</summary>
public sealed record ProbeCompleted(ProbeKind Kind, long Generation, bool Passed, string Detail) : ServiceMessage;

/// <summary>The service spoke sd_notify.</summary>
public sealed record Notified(NotifyMessage Message) : ServiceMessage;
