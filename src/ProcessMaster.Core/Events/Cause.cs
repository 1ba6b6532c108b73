namespace ProcessMaster.Core.Events;

/// <summary>What set a change in motion.</summary>
public enum CauseKind
{
    /// <summary>An operator's command (pmctl, the web console, the RPC API); <see cref="Cause.By"/> says who.</summary>
    Operator,

    /// <summary>The daemon started and starts every enabled service.</summary>
    Boot,

    /// <summary>The restart policy started it again after its backoff.</summary>
    PolicyRestart,

    /// <summary>It ended by itself with an error, or was killed by a signal it was not sent.</summary>
    Crash,

    /// <summary>It ended by itself with exit code 0.</summary>
    Exit,

    /// <summary>Its command could not be executed.</summary>
    StartFailure,

    /// <summary>Its liveness probe failed (or the sd_notify watchdog expired): it was found hung.</summary>
    LivenessFailure,

    /// <summary>One of its dependencies changed (restarted, failed, timed out, or met its condition).</summary>
    Dependency,

    /// <summary>A cron tick, or a run's <c>max_time_per_run</c>.</summary>
    Schedule,

    /// <summary>A reload of the definitions (changed, disabled or removed).</summary>
    Reload,

    /// <summary>The daemon shuts down.</summary>
    Shutdown,

    /// <summary>What an earlier daemon (crashed or re-executed) left: adopted or killed.</summary>
    Reexec,
}

/// <summary>Why something happened: a kind, and for an operator's command who gave it.</summary>
public readonly record struct Cause(CauseKind Kind, string? By = null)
{
    public static Cause Operator(string? by) => new(CauseKind.Operator, by);

    public static implicit operator Cause(CauseKind kind) => new(kind);

    /// <summary>The name on the wire and in the event file (<c>policy_restart</c>, …).</summary>
    public string Name => Kind switch
    {
        CauseKind.Operator => "operator",
        CauseKind.Boot => "boot",
        CauseKind.PolicyRestart => "policy_restart",
        CauseKind.Crash => "crash",
        CauseKind.Exit => "exit",
        CauseKind.StartFailure => "start_failure",
        CauseKind.LivenessFailure => "liveness_failure",
        CauseKind.Dependency => "dependency",
        CauseKind.Schedule => "schedule",
        CauseKind.Reload => "reload",
        CauseKind.Shutdown => "shutdown",
        CauseKind.Reexec => "reexec",
        _ => throw new System.Diagnostics.UnreachableException($"cause {Kind}"),
    };

    public override string ToString() => By is null ? Name : $"{Name} ({By})";
}
