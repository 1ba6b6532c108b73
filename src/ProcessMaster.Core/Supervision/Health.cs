namespace ProcessMaster.Core.Supervision;

/// <summary>Which of a service's checks a probe timer or result belongs to.</summary>
public enum ProbeKind
{
    Readiness,
    Liveness,

    /// <summary>The sd_notify watchdog: its timer firing means no <c>WATCHDOG=1</c> came in time.</summary>
    Watchdog,
}

/// <summary>What a dependent knows of one of its dependencies, as the manager last told it.</summary>
/// <param name="Ready">Its readiness probe passed (or it said READY=1) in its current run.</param>
/// <param name="Runs">How many runs it started: a restart of it shows as a new number.</param>
/// <param name="Seq">Increases with every status it publishes: an older one that arrives late is ignored.</param>
public sealed record DependencyStatus(ServiceState State, bool Ready, bool Enabled, long Runs, long Seq);

/// <summary>One sd_notify datagram (sd_notify(3)), as far as processmaster acts on it.</summary>
/// <param name="MainPid">MAINPID=: the service's main process is now this one.</param>
public sealed record NotifyMessage(bool Ready, bool Stopping, bool Watchdog, string? Status, int? MainPid);
