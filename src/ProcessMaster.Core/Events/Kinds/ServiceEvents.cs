using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Supervision;

namespace ProcessMaster.Core.Events;

// What happens to one service: recorded with the service's name (the event's app).

/// <summary>The one way a service's state changes. <paramref name="Reason"/> is the machine's account of the decision.</summary>
/// <param name="Pid">The main process, when the change concerns one (started, ended).</param>
/// <param name="Exit">How the run ended, when it ended.</param>
public sealed record StateChanged(ServiceState From, ServiceState To, Cause Cause, string Reason, int? Pid = null, ExitStatus? Exit = null) : Event;

/// <summary>The command could not be executed (or was not within the start timeout).</summary>
public sealed record StartFailed(string Error) : Event;

/// <summary>The main process ended, and other processes of the service still run (a daemonizing service).</summary>
public sealed record MainEndedGroupRuns(int? Pid, ExitStatus Exit) : Event;

/// <summary>A cron job's run exceeded <c>max_time_per_run</c> and is stopped.</summary>
public sealed record RunOvertime(TimeSpan Limit) : Event;

public enum AdoptionOutcome
{
    /// <summary>Its main process still runs: supervised as if this daemon had started it.</summary>
    Running,

    /// <summary>Its main process ended while no daemon ran; what else is in its cgroup still runs.</summary>
    MainEnded,

    /// <summary>It ended while no daemon ran, exit status unknown.</summary>
    Ended,

    /// <summary>A stop was under way: finished with cgroup.kill.</summary>
    StopFinished,

    /// <summary>It was waiting to restart: restarted after its backoff.</summary>
    RestartPending,

    /// <summary>It was waiting for its dependencies: still waiting.</summary>
    StillWaiting,

    /// <summary>Its definition changed while no daemon ran: applied as a reload would.</summary>
    DefinitionChanged,
}

/// <summary>What a new daemon made of the service an earlier one left.</summary>
/// <param name="Detail">What it waits for (<see cref="AdoptionOutcome.StillWaiting"/>).</param>
public sealed record Adopted(AdoptionOutcome Outcome, int? Pid = null, DateTimeOffset? Since = null, int Restarts = 0, string? Detail = null) : Event;

/// <summary>Processes an earlier daemon left in the cgroup are killed so that the service starts fresh.</summary>
public sealed record LeftoversFound(IReadOnlyList<int> Pids) : Event;

/// <summary>A signal went to the service's processes: to every one, or (<paramref name="MainPid"/>) to the main process alone.</summary>
public sealed record SignalSent(int Signal, int Processes, int? MainPid = null) : Event;

public enum StopStep
{
    CommandRunning,
    GraceStarted,
    CommandNotStarted,
    CommandNotExecuted,
    CommandSucceeded,
    CommandFailed,
    CommandTimedOut,
    GraceExpired,
}

/// <summary>A step of the stop sequence.</summary>
/// <param name="Grace">How long it waits before cgroup.kill (<see cref="StopStep.GraceStarted"/>).</param>
/// <param name="Exit">The stop command's end (<see cref="StopStep.CommandFailed"/>).</param>
/// <param name="SignalFollows">The signal sent next, to what the stop command left (it failed, or stop_signal is set beside it).</param>
public sealed record StopProgress(StopStep Step, TimeSpan? Grace = null, ExitStatus? Exit = null, string? Error = null, int? SignalFollows = null) : Event;

/// <summary>cgroup.kill did not empty the cgroup within its timeout: these processes remain.</summary>
public sealed record StopStuck(IReadOnlyList<int> Pids) : Event;

/// <summary>Every dependency meets its condition: the service starts.</summary>
public sealed record DependenciesMet : Event;

/// <summary>A dependency with <c>restart: true</c> was restarted and meets its condition again: the service is restarted.</summary>
public sealed record DependencyRestarted(string Dependency, string Condition) : Event;

/// <summary>A cron tick starts a run.</summary>
public sealed record ScheduleTick(DateTimeOffset At) : Event;

public enum TickSkip
{
    /// <summary>The previous run is still going (<see cref="TickSkipped.State"/>).</summary>
    StillRunning,

    /// <summary>The previous run's processes are still in its cgroup.</summary>
    ProcessesLeft,

    Disabled,
}

public sealed record TickSkipped(DateTimeOffset At, TickSkip Why, ServiceState State) : Event;

/// <summary>The schedule has no further occurrence (<paramref name="NotAfter"/> passed or comes first, or none at all).</summary>
public sealed record ScheduleEnded(DateTimeOffset? NotAfter, bool Passed) : Event;

public enum ProbeVerdict
{
    /// <summary>Readiness reached its success threshold (or the service said READY=1).</summary>
    Healthy,

    /// <summary>A ready service failed readiness <c>failure_threshold</c> times in a row.</summary>
    Unhealthy,

    /// <summary>A service not ready yet failed readiness <c>failure_threshold</c> times in a row (said once per streak).</summary>
    NotReady,

    /// <summary>Liveness failed <c>failure_threshold</c> times in a row: the service is restarted.</summary>
    LivenessFailed,

    /// <summary>No WATCHDOG=1 came within the watchdog interval: the service is restarted.</summary>
    WatchdogExpired,
}

/// <summary>A probe's verdict changed what the service is.</summary>
/// <param name="Check">What the probe does (<c>http GET …</c>, <c>exec …</c>), or null when the service said so itself.</param>
/// <param name="Detail">What the last probe said (quoted from it).</param>
public sealed record ProbeChanged(ProbeKind Probe, ProbeVerdict Verdict, string? Check, int Failures = 0, string? Detail = null, TimeSpan? Interval = null) : Event;

public enum NotifyKind
{
    /// <summary>MAINPID= named a process of the service: it is the main process now.</summary>
    MainPid,

    /// <summary>MAINPID= named a process outside the service (said once per run).</summary>
    MainPidIgnored,

    /// <summary>STOPPING=1 (said once per run).</summary>
    Stopping,
}

/// <summary>The service spoke sd_notify and it changed something (or was refused).</summary>
public sealed record NotifyHeard(NotifyKind What, int? Pid = null, int? From = null) : Event;

/// <summary>Handling <paramref name="Message"/> threw: nothing of the transition took effect.</summary>
/// <param name="RetryIn">When it is handled again; null when it is not (a request is answered with the failure, or a fact given up).</param>
public sealed record TransitionFailed(string Message, ServiceState State, string Error, int Attempt, TimeSpan? RetryIn, bool Fact) : Event;

/// <summary>Performing what the machine decided failed (an effect, publishing the status): named, with the error.</summary>
public sealed record SupervisorFault(string Activity, string Error) : Event;

/// <summary>A resource limit could not be applied as configured on this host.</summary>
public sealed record LimitNotApplied(string Detail) : Event;

/// <summary>An operator's stop (or start) could not be saved: after a daemon restart it is not kept.</summary>
public sealed record OperatorStopNotSaved(bool Stopped, string Error) : Event;

/// <summary>The service's log files: a problem opening, writing or rotating them.</summary>
public sealed record LogProblem(string Detail) : Event;
