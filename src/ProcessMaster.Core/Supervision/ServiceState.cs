namespace ProcessMaster.Core.Supervision;

/// <summary>The lifecycle state of a service, as status shows it.</summary>
public enum ServiceState
{
    /// <summary>Not running and not going to run by itself.</summary>
    Stopped,

    /// <summary>Spawned; waiting for the command to be executed.</summary>
    Starting,

    /// <summary>Its cgroup holds at least one process.</summary>
    Running,

    /// <summary>The stop sequence is under way.</summary>
    Stopping,

    /// <summary>It ended and will be restarted after the backoff delay.</summary>
    Backoff,

    /// <summary>It ended and will not be restarted until an operator starts it.</summary>
    Failed,

    /// <summary>A <c>policy: never</c> service that ended with exit code 0.</summary>
    Exited,

    /// <summary>About to start, once its dependencies meet their conditions.</summary>
    Waiting,
}

/// <summary>Why a start happens; shown in events.</summary>
public enum StartReason
{
    Operator,
    Boot,
    AutoRestart,
    Scheduled,
    Restart,
    Reload,

    /// <summary>A dependency with <c>restart: true</c> was restarted and meets its condition again.</summary>
    Dependency,
}

/// <summary>Why a stop happens; decides what follows it.</summary>
public enum StopReason
{
    /// <summary>An operator's stop: persisted, the service stays down across daemon restarts.</summary>
    Operator,

    /// <summary>A restart: the service starts again once stopped.</summary>
    Restart,

    /// <summary>Daemon shutdown.</summary>
    Shutdown,

    /// <summary>A cron run exceeded max_time_per_run.</summary>
    Overtime,

    /// <summary>A reload disabled the service.</summary>
    Disabled,

    /// <summary>A reload removed the service from the configuration.</summary>
    Removed,

    /// <summary>Processes an earlier daemon left in the cgroup are killed before the service starts fresh.</summary>
    Leftovers,

    /// <summary>The liveness probe (or the sd_notify watchdog) found it hung: once stopped it is handled as a crash.</summary>
    Liveness,

    /// <summary>
    /// With <c>exit_type: main</c>, the main process ended and left processes behind: they are stopped, then
    /// the run's end is decided on the main process's exit.
    /// </summary>
    MainEnded,
}

public static class ServiceStateNames
{
    /// <summary>The upper-case name used on the wire and in tables.</summary>
    public static string Name(this ServiceState state) => state switch
    {
        ServiceState.Stopped => "STOPPED",
        ServiceState.Starting => "STARTING",
        ServiceState.Running => "RUNNING",
        ServiceState.Stopping => "STOPPING",
        ServiceState.Backoff => "BACKOFF",
        ServiceState.Failed => "FAILED",
        ServiceState.Exited => "EXITED",
        ServiceState.Waiting => "WAITING",
    };

    /// <summary>States in which the service has (or is about to have) processes.</summary>
    public static bool IsActive(this ServiceState state) =>
        state is ServiceState.Starting or ServiceState.Running or ServiceState.Stopping;

    public static string Name(this StartReason reason) => reason switch
    {
        StartReason.Operator => "operator",
        StartReason.Boot => "boot",
        StartReason.AutoRestart => "auto-restart",
        StartReason.Scheduled => "schedule",
        StartReason.Restart => "restart",
        StartReason.Reload => "reload",
        StartReason.Dependency => "dependency restarted",
    };

    public static string Name(this StopReason reason) => reason switch
    {
        StopReason.Operator => "operator",
        StopReason.Restart => "restart",
        StopReason.Shutdown => "shutdown",
        StopReason.Overtime => "overtime",
        StopReason.Disabled => "disabled",
        StopReason.Removed => "removed",
        StopReason.Leftovers => "leftovers",
        StopReason.Liveness => "liveness",
        StopReason.MainEnded => "main process ended",
    };
}
