using ProcessMaster.Core.Events;

namespace ProcessMaster.Core.Supervision;

/// <summary>
/// Readiness and liveness while the service runs: probe timers (armed here, run by the supervisor), the
/// success and failure thresholds, sd_notify (READY=1, STATUS=, MAINPID=, STOPPING=1, WATCHDOG=1). A
/// liveness failure (or a missed watchdog ping) stops the service and is then handled as a crash.
/// </summary>
public sealed partial class ServiceStateMachine
{
    /// <summary>
    /// What status shows of the service's health: null without probes, or while it does not run. Liveness
    /// failures below the threshold do not count: the threshold is there so that one slow answer is not a verdict.
    /// </summary>
    public static string? Health(Configuration.ServiceDefinition definition, ServiceMachineState state) =>
        state.State != ServiceState.Running || definition.Readiness is null && definition.Liveness is null
            ? null
            : definition.Readiness is not null && !state.Probes.Ready && state.Probes.WasReady
                ? "unhealthy"
                : definition.Readiness is not null && !state.Probes.Ready
                    ? "starting"
                    : "healthy";

    /// <summary>Entering RUNNING: the probes of this run begin.</summary>
    private void ArmProbes()
    {
        _s = _s with { Probes = _s.Probes.Armed() };
        if (Definition.Readiness is { Notify: null } readiness)
        {
            Effect(new ArmProbeTimer(ProbeKind.Readiness, readiness.InitialDelay, _s.Probes.Generation));
        }

        if (Definition.Liveness is { } liveness)
        {
            Effect(new ArmProbeTimer(ProbeKind.Liveness, liveness.InitialDelay, _s.Probes.Generation));
        }

        if (_s.Probes.Ready && Definition.Readiness?.Notify?.Watchdog is { } watchdog)
        {
            Effect(new ArmProbeTimer(ProbeKind.Watchdog, watchdog, _s.Probes.Generation)); // said READY=1 before it was seen running
        }
    }

    /// <summary>Leaving RUNNING: no probe of this run counts any more.</summary>
    private void CancelProbes()
    {
        _s = _s with { Probes = _s.Probes.Cancelled() };
        Effect(new CancelProbeTimers());
    }

    private bool IsCurrentProbe(long generation) => generation == _s.Probes.Generation && _s.State == ServiceState.Running;

    private void OnProbeDue(ProbeDue due)
    {
        if (!IsCurrentProbe(due.Generation))
        {
            return;
        }

        if (due.Kind == ProbeKind.Watchdog)
        {
            var watchdog = Definition.Readiness?.Notify?.Watchdog ?? TimeSpan.Zero;
            Record(new ProbeChanged(ProbeKind.Watchdog, ProbeVerdict.WatchdogExpired, null, Interval: watchdog));
            _s = _s with { Probes = _s.Probes with { LivenessFailures = _s.Probes.LivenessFailures + 1 } };
            EnterStopping(Supervision.StopReason.Liveness);
            return;
        }

        Effect(new RunProbe(due.Kind, due.Generation));
    }

    private void OnProbeCompleted(ProbeCompleted result)
    {
        if (!IsCurrentProbe(result.Generation))
        {
            return;
        }

        if (result.Kind == ProbeKind.Readiness && Definition.Readiness is { } readiness)
        {
            Readiness(readiness, result);
            Effect(new ArmProbeTimer(ProbeKind.Readiness, readiness.Period, _s.Probes.Generation));
        }
        else if (result.Kind == ProbeKind.Liveness && Definition.Liveness is { } liveness)
        {
            _s = _s with { Probes = _s.Probes with { LivenessFailures = result.Passed ? 0 : _s.Probes.LivenessFailures + 1 } };
            if (_s.Probes.LivenessFailures >= liveness.FailureThreshold)
            {
                Record(new ProbeChanged(ProbeKind.Liveness, ProbeVerdict.LivenessFailed, liveness.Describe(), _s.Probes.LivenessFailures, result.Detail));
                EnterStopping(Supervision.StopReason.Liveness);
                return;
            }

            Effect(new ArmProbeTimer(ProbeKind.Liveness, liveness.Period, _s.Probes.Generation));
        }
    }

    private void Readiness(Configuration.ProbeSettings readiness, ProbeCompleted result)
    {
        if (result.Passed)
        {
            _s = _s with { Probes = _s.Probes with { ReadinessPasses = _s.Probes.ReadinessPasses + 1, ReadinessFailures = 0 } };
            if (!_s.Probes.Ready && _s.Probes.ReadinessPasses >= readiness.SuccessThreshold)
            {
                _s = _s with { Probes = _s.Probes with { Ready = true, WasReady = true } };
                Record(new ProbeChanged(ProbeKind.Readiness, ProbeVerdict.Healthy, readiness.Describe()));
            }

            return;
        }

        _s = _s with { Probes = _s.Probes with { ReadinessPasses = 0, ReadinessFailures = _s.Probes.ReadinessFailures + 1 } };
        if (_s.Probes.Ready && _s.Probes.ReadinessFailures >= readiness.FailureThreshold)
        {
            _s = _s with { Probes = _s.Probes with { Ready = false } };
            Record(new ProbeChanged(ProbeKind.Readiness, ProbeVerdict.Unhealthy, readiness.Describe(), _s.Probes.ReadinessFailures, result.Detail));
        }
        else if (!_s.Probes.Ready && _s.Probes.ReadinessFailures == readiness.FailureThreshold)
        {
            // Once per streak, so that a service stuck in starting says why without an event every period.
            Record(new ProbeChanged(ProbeKind.Readiness, ProbeVerdict.NotReady, readiness.Describe(), _s.Probes.ReadinessFailures, result.Detail));
        }
    }

    private void OnNotified(NotifyMessage message)
    {
        if (_s.State is not (ServiceState.Starting or ServiceState.Running))
        {
            return;
        }

        if (message.Status is { } status && status != _s.Run.NotifyStatus)
        {
            _s = _s with { Run = _s.Run with { NotifyStatus = status } };
        }

        if (message.MainPid is { } pid && pid != _s.Run.MainPid)
        {
            _s = _s with { Run = _s.Run with { MainPid = pid, MainAlive = true } };
            Record(new NotifyHeard(NotifyKind.MainPid, pid));
            Effect(new WatchMain(pid));
        }

        var watchdog = Definition.Readiness?.Notify?.Watchdog;
        if (message.Ready && Definition.Notifies && !_s.Probes.Ready)
        {
            _s = _s with { Probes = _s.Probes with { Ready = true, WasReady = true } };
            Record(new ProbeChanged(ProbeKind.Readiness, ProbeVerdict.Healthy, null));
            if (watchdog is { } first)
            {
                Effect(new ArmProbeTimer(ProbeKind.Watchdog, first, _s.Probes.Generation));
            }
        }
        else if (message.Watchdog && _s.Probes.Ready && watchdog is { } next)
        {
            Effect(new ArmProbeTimer(ProbeKind.Watchdog, next, _s.Probes.Generation));
        }

        if (message.Stopping && !_s.Run.SaidStopping)
        {
            _s = _s with { Run = _s.Run with { SaidStopping = true } };
            Record(new NotifyHeard(NotifyKind.Stopping));
        }
    }
}
