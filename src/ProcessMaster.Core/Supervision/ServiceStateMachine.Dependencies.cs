using System.Collections.Immutable;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Configuration.Values;
using ProcessMaster.Core.Events;

namespace ProcessMaster.Core.Supervision;

/// <summary>
/// Start order: every start (boot, operator, restart policy, reload) waits in WAITING until each dependency
/// meets its condition, fails when one cannot any more (FAILED, disabled) or its timeout passes, and a
/// <c>restart: true</c> dependency that was restarted restarts this service once it meets the condition
/// again. The machine knows its dependencies only through <see cref="DependencyChanged"/>.
/// </summary>
public sealed partial class ServiceStateMachine
{
    /// <summary>Whether <paramref name="status"/> meets <paramref name="dependency"/>'s condition.</summary>
    public static bool Met(Dependency dependency, DependencyStatus? status) => status is not null && dependency.Condition switch
    {
        // A one-shot service that ran and finished was started all the same.
        DependencyCondition.Started => status.State is ServiceState.Running or ServiceState.Exited,
        DependencyCondition.Healthy => status.State == ServiceState.Running && status.Ready,
        DependencyCondition.CompletedSuccessfully => status.State == ServiceState.Exited,
    };

    /// <summary>Why <paramref name="status"/> will not meet the condition by itself (null: it may yet).</summary>
    private static string? Hopeless(DependencyStatus? status) => status switch
    {
        { State: ServiceState.Failed } => "failed",
        { Enabled: false, State: not (ServiceState.Running or ServiceState.Starting or ServiceState.Exited) } => "is disabled",
        _ => null,
    };

    /// <summary>The dependencies of <paramref name="definition"/> that <paramref name="state"/> does not know to be met, as status shows them.</summary>
    public static string WaitingFor(ServiceDefinition definition, ServiceMachineState state) =>
        string.Join(", ", definition.DependsOn.Where(d => !Met(d, state.Dependencies.Known.GetValueOrDefault(d.Service)))
            .Select(d => $"{d.Service} ({d.Condition.Name()})"));

    private List<Dependency> Unmet() => [.. Definition.DependsOn.Where(d => !Met(d, _s.Dependencies.Known.GetValueOrDefault(d.Service)))];

    private void EnterWaiting(StartReason reason)
    {
        var first = _s.State != ServiceState.Waiting;
        _s = _s with { Dependencies = _s.Dependencies with { WaitingAs = reason, WaitingSince = first ? _at.Monotonic : _s.Dependencies.WaitingSince }, Run = _s.Run with { MainPid = null, MainAlive = false } };
        if (first)
        {
            SetState(ServiceState.Waiting, CauseOf(reason), $"waiting for {WaitingFor(Definition, _s)}");
            if (reason == StartReason.Reload)
            {
                // As for a reload's start (WaitOrAnswer): a reload that restarted it is not held up by its dependencies.
                CompleteAll(_startWaiters, OperationOutcome.Success($"waiting for {WaitingFor(Definition, _s)}", OutcomeCode.Waiting));
            }
        }

        CheckWaiting();
    }

    /// <summary>Starts once everything is met; fails when a dependency cannot be met any more or its timeout passed.</summary>
    private void CheckWaiting()
    {
        var unmet = Unmet();
        if (unmet.Count == 0)
        {
            Record(new DependenciesMet());
            EnterStarting(_s.Dependencies.WaitingAs);
            return;
        }

        var waited = _at.Monotonic - (_s.Dependencies.WaitingSince ?? _at.Monotonic);
        foreach (var dependency in unmet)
        {
            if (Hopeless(_s.Dependencies.Known.GetValueOrDefault(dependency.Service)) is { } why)
            {
                FailWaiting($"dependency {dependency.Service} {why}");
                return;
            }

            if (dependency.Timeout is { } timeout && waited >= timeout)
            {
                FailWaiting($"timed out after {DurationText.Format(timeout)} waiting for {dependency.Service} ({dependency.Condition.Name()})");
                return;
            }
        }

        // The deadline timer serves the earliest timeout still running.
        var next = unmet.Where(d => d.Timeout is not null).Select(d => d.Timeout!.Value - waited).DefaultIfEmpty(Timeout.InfiniteTimeSpan).Min();
        if (next == Timeout.InfiniteTimeSpan)
        {
            CancelTimer();
        }
        else
        {
            ArmTimer(next);
        }
    }

    private void FailWaiting(string reason)
    {
        CancelTimer();
        _s = _s with { LastError = reason, Dependencies = _s.Dependencies with { WaitingSince = null } };
        SetState(ServiceState.Failed, CauseKind.Dependency, reason);
        CompleteAll(_startWaiters, OperationOutcome.Failure(reason));
    }

    private void OnDependencyChanged(DependencyChanged changed)
    {
        if (Definition.DependsOn.FirstOrDefault(d => d.Service == changed.Service) is not { } dependency ||
            _s.Dependencies.Known.TryGetValue(changed.Service, out var known) && known.Seq >= changed.Status.Seq)
        {
            return; // not one of its dependencies (any more), or older than what it knows
        }

        var status = changed.Status;
        _s = _s with { Dependencies = _s.Dependencies with { Known = _s.Dependencies.Known.SetItem(changed.Service, status) } };
        switch (_s.State)
        {
            case ServiceState.Waiting:
                CheckWaiting();
                break;
            case ServiceState.Starting or ServiceState.Running when dependency.Restart && Met(dependency, status):
                if (!_s.Run.StartedAfter.TryGetValue(changed.Service, out var startedAfter))
                {
                    _s = _s with { Run = _s.Run with { StartedAfter = _s.Run.StartedAfter.SetItem(changed.Service, status.Runs) } }; // first news of it in this run
                }
                else if (startedAfter != status.Runs)
                {
                    Record(new DependencyRestarted(changed.Service, dependency.Condition.Name()));
                    RestartNow(StartReason.Dependency);
                }

                break;
            case ServiceState.Starting or ServiceState.Running or ServiceState.Stopping or ServiceState.Stopped or ServiceState.Backoff
                or ServiceState.Failed or ServiceState.Exited:
                break; // known from now on; it matters at the next start
            default:
                throw Unhandled(_s.State);
        }
    }

    /// <summary>A new run remembers which run of each dependency it starts after.</summary>
    private ImmutableDictionary<string, long> CurrentDependencyRuns() =>
        _s.Dependencies.Known.Where(d => Definition.DependsOn.Any(x => x.Service == d.Key)).ToImmutableDictionary(d => d.Key, d => d.Value.Runs);
}
