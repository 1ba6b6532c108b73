namespace ProcessMaster.Core.Supervision;

/// <summary>Readiness and liveness of the current run: its probes' streaks and whether it is ready.</summary>
public sealed record ProbeRecord
{
    /// <summary>Probe timers and results of an earlier run (or a cancelled one) carry an older generation; it only grows.</summary>
    public long Generation { get; init; }

    /// <summary>Ready in this run: its readiness probe passed (or it said READY=1) and has not failed enough since.</summary>
    public bool Ready { get; init; }

    /// <summary>Was ready at some time in this run: not ready now means unhealthy, not still starting.</summary>
    public bool WasReady { get; init; }

    public int ReadinessPasses { get; init; }

    public int ReadinessFailures { get; init; }

    public int LivenessFailures { get; init; }

    /// <summary>A new run: not ready yet, streaks of the earlier run forgotten, the generation kept.</summary>
    public ProbeRecord ForNewRun() => new() { Generation = Generation };

    /// <summary>Entering RUNNING: a new generation of probes with empty streaks (ready stays what sd_notify said).</summary>
    public ProbeRecord Armed() => new() { Generation = Generation + 1, Ready = Ready, WasReady = WasReady };

    /// <summary>Leaving RUNNING: no probe of this run counts any more.</summary>
    public ProbeRecord Cancelled() => this with { Generation = Generation + 1, Ready = false };
}
