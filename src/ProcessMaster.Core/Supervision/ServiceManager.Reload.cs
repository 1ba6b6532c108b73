using System.Collections.Immutable;
using ProcessMaster.Core.Events;
using ProcessMaster.Core.Configuration;

namespace ProcessMaster.Core.Supervision;

/// <summary>What a reload changed.</summary>
/// <param name="Stopped">Services stopped because their definition now disables them.</param>
/// <param name="Errors">What did not take effect: a file that fails to load, a definition refused, a restart that did not come back.</param>
public sealed record ReloadOutcome(
    List<string> Added,
    List<string> Removed,
    List<string> Restarted,
    List<string> Stopped,
    List<string> Warnings,
    List<string> Errors,
    string? SkippedBecause);

/// <summary>
/// Reload: apply a freshly loaded catalog as a diff against the running set. Added services start,
/// removed ones are stopped and forgotten (their cgroups removed), changed ones restart with the new
/// definition, and a service whose file now fails keeps its last good definition, flagged outdated.
/// </summary>
public sealed partial class ServiceManager
{
    private readonly SemaphoreSlim _reloadLock = new(1, 1);
    private ImmutableHashSet<string> _outdated = ImmutableHashSet<string>.Empty.WithComparer(StringComparer.Ordinal);

    /// <summary>Services running on their last good definition because their file now fails to load.</summary>
    public bool IsOutdated(string name) => _outdated.Contains(name);

    public async Task<ReloadOutcome> ReloadAsync(ServiceCatalog catalog, DefinitionAdmission admission)
    {
        await _reloadLock.WaitAsync();
        try
        {
            if (ShuttingDown)
            {
                return new ReloadOutcome([], [], [], [], [], [], "the daemon is shutting down");
            }

            if (catalog.Fatal is { } fatal)
            {
                context.Events.Record(null, new ReloadSkipped(fatal.ToString()));
                return new ReloadOutcome([], [], [], [], [.. catalog.Warnings], [], fatal.ToString());
            }

            var warnings = catalog.Warnings.ToList();
            var errors = catalog.Problems.Select(p => p.ToString()).ToList();
            var (accepted, rejected) = admission.ProvisionAndAdmit(catalog.Services);
            errors.AddRange(rejected.Select(r => $"{r.Name}: {r.Reason}"));
            var acceptedByName = accepted.ToDictionary(d => d.Name, StringComparer.Ordinal);
            var keepLastGood = catalog.FailedNames;

            var added = new List<string>();
            var removed = new List<string>();
            var restarting = new List<(string Name, Task<OperationOutcome> Started)>();
            var stopped = new List<string>();
            var outdated = new HashSet<string>(StringComparer.Ordinal);

            var leaving = new Dictionary<string, StopReason>(StringComparer.Ordinal);
            foreach (var (name, service) in _services)
            {
                if (acceptedByName.Remove(name, out var definition))
                {
                    if (definition != service.Snapshot.Definition)
                    {
                        var (action, started) = await service.ChangeDefinitionAsync(definition);
                        switch (action)
                        {
                            case ReloadAction.Restarting or ReloadAction.Starting:
                                restarting.Add((name, started));
                                break;
                            case ReloadAction.Stopping:
                                stopped.Add(name);
                                leaving[name] = StopReason.Disabled;
                                break;
                            case ReloadAction.Failed:
                                outdated.Add(name);
                                break;
                            case ReloadAction.Updated:
                                break;
                            default:
                                throw new System.Diagnostics.UnreachableException($"reload action {action}");
                        }
                    }
                }
                else if (keepLastGood.Contains(name))
                {
                    outdated.Add(name);
                    context.Events.Record(name, new DefinitionKeptOutdated());
                }
                else
                {
                    removed.Add(name);
                    leaving[name] = StopReason.Removed;
                }
            }

            await StopLeavingAsync(leaving);
            var created = acceptedByName.Values.Select(Supervise).ToList();
            _services = _services.AddRange(created.Select(s => KeyValuePair.Create(s.Name, s)));
            foreach (var service in created)
            {
                added.Add(service.Name);
                if (StartPolicy.StartsWithTheRest(service.Snapshot.Definition))
                {
                    _ = service.StartAsync(StartReason.Reload);
                }
            }

            _outdated = outdated.ToImmutableHashSet(StringComparer.Ordinal);
            _graph = new DependencyGraph(accepted.Concat(_services.Values.Where(s => outdated.Contains(s.Name)).Select(s => s.Snapshot.Definition)));
            TellEveryDependent();
            await context.State.RetainAsync(_services.Keys);
            // "restarted" is said of a service once it runs with its new definition, not while it still stops
            // (after the dependents were told: a restart may wait for what it now depends on).
            var restarted = new List<string>();
            foreach (var (name, started) in restarting)
            {
                var outcome = await started;
                if (outcome.Code == OutcomeCode.Ok)
                {
                    restarted.Add(name);
                }
                else if (outcome.Ok)
                {
                    warnings.Add($"{name}: {outcome.Message}");
                }
                else
                {
                    errors.Add($"{name}: not running with its new definition: {outcome.Message}");
                }
            }

            foreach (var problem in errors.Concat(warnings))
            {
                context.Events.Record(null, new ConfigWarning(problem));
            }

            context.Events.Record(null, new Reloaded(added.Count, removed.Count, restarted.Count, stopped.Count, errors.Count + warnings.Count));
            added.Sort(StringComparer.Ordinal);
            restarted.Sort(StringComparer.Ordinal);
            stopped.Sort(StringComparer.Ordinal);
            return new ReloadOutcome(added, removed, restarted, stopped, warnings, errors, null);
        }
        finally
        {
            _reloadLock.Release();
        }
    }

    /// <summary>
    /// Stops what the reload disabled or removed: each group at once, dependents before what they depend on (by the
    /// graph as it was, which still has the removed services' edges). A disable joins the stop its machine began.
    /// </summary>
    private async Task StopLeavingAsync(Dictionary<string, StopReason> leaving)
    {
        foreach (var group in _graph.StopOrder(leaving.Keys))
        {
            await Task.WhenAll(Resolve(group).Select(service => leaving[service.Name] == StopReason.Removed
                ? RemoveAsync(service)
                : service.StopAsync(StopReason.Disabled)));
        }
    }

    private async Task RemoveAsync(ServiceSupervisor service)
    {
        context.Events.Record(service.Name, new ServiceRemoved());
        await service.StopAsync(StopReason.Removed);
        ImmutableInterlocked.Update(ref _services, services => services.Remove(service.Name)); // removals run side by side
        await service.DisposeAsync(removeCgroups: true);
        context.Records.Forget(service.Name);
    }
}
