using System.Text.Json.Serialization;

namespace ProcessMaster.Core.Supervision;

/// <summary>The lifecycle state of a service, as status shows it.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ServiceState>))]
public enum ServiceState
{
    /// <summary>Not running and not going to run by itself.</summary>
    [JsonStringEnumMemberName("STOPPED")] Stopped,

    /// <summary>Spawned; waiting for the command to be executed.</summary>
    [JsonStringEnumMemberName("STARTING")] Starting,

    /// <summary>Its cgroup holds at least one process.</summary>
    [JsonStringEnumMemberName("RUNNING")] Running,

    /// <summary>The stop sequence is under way.</summary>
    [JsonStringEnumMemberName("STOPPING")] Stopping,

    /// <summary>It ended and will be restarted after the backoff delay.</summary>
    [JsonStringEnumMemberName("BACKOFF")] Backoff,

    /// <summary>It ended and will not be restarted until an operator starts it.</summary>
    [JsonStringEnumMemberName("FAILED")] Failed,

    /// <summary>A <c>policy: never</c> service that ended with exit code 0.</summary>
    [JsonStringEnumMemberName("EXITED")] Exited,
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

    /// <summary>The service was disabled or removed from the configuration.</summary>
    Unloaded,

    /// <summary>The definition changed: stop, then start with the new one.</summary>
    Reload,
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
    };

    /// <summary>States in which the service has (or is about to have) processes.</summary>
    public static bool IsActive(this ServiceState state) =>
        state is ServiceState.Starting or ServiceState.Running or ServiceState.Stopping;

    /// <summary>States in which nothing runs and nothing is pending.</summary>
    public static bool IsIdle(this ServiceState state) =>
        state is ServiceState.Stopped or ServiceState.Failed or ServiceState.Exited;

    public static string Name(this StartReason reason) => reason switch
    {
        StartReason.Operator => "operator",
        StartReason.Boot => "boot",
        StartReason.AutoRestart => "auto-restart",
        StartReason.Scheduled => "schedule",
        StartReason.Restart => "restart",
        StartReason.Reload => "reload",
    };

    public static string Name(this StopReason reason) => reason switch
    {
        StopReason.Operator => "operator",
        StopReason.Restart => "restart",
        StopReason.Shutdown => "shutdown",
        StopReason.Overtime => "overtime",
        StopReason.Unloaded => "unloaded",
        StopReason.Reload => "reload",
    };
}
