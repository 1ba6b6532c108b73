using System.Collections.Immutable;
using ProcessMaster.Core.Cgroups;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Configuration.Values;

namespace ProcessMaster.Core.Supervision;

/// <summary>The outcome of an operator command on one service.</summary>
public sealed record TargetResult(string Name, OperationResult Result);

/// <summary>
/// Owns every supervisor: creates them at boot (killing leftovers and stray <c>pm-*</c> groups), routes
/// operator commands to one service or <c>all</c>, and shuts everything down so that every service
/// cgroup is empty before the daemon exits.
/// </summary>
public sealed partial class ServiceManager(SupervisorContext context)
{
    private const int ParallelOperations = 32;

    private ImmutableSortedDictionary<string, ServiceSupervisor> _services = ImmutableSortedDictionary<string, ServiceSupervisor>.Empty.WithComparers(StringComparer.Ordinal);

    public SupervisorContext Context => context;

    public IReadOnlyDictionary<string, ServiceSupervisor> Services => _services;

    /// <summary>Raised (on a supervisor's loop) whenever any service's snapshot changes; for live views.</summary>
    public event Action? Changed;

    /// <summary>Set once shutdown began: operator starts are refused from then on.</summary>
    public bool ShuttingDown { get; private set; }

    /// <summary>Creates the supervisors, removes stray service groups, then starts every enabled service (not cron jobs).</summary>
    public async Task BootAsync(IReadOnlyList<ServiceDefinition> definitions)
    {
        await RemoveStrayGroupsAsync(definitions.Select(d => d.Name).ToHashSet(StringComparer.Ordinal));
        await context.State.RetainAsync(definitions.Select(d => d.Name));
        var created = await ForEachAsync(definitions, ServiceSupervisorFactory);
        _services = _services.AddRange(created.Select(s => KeyValuePair.Create(s.Name, s)));
        await ForEachAsync(created.Where(s => !s.Snapshot.Definition.IsCron).ToList(),
            async s => await s.StartAsync(StartReason.Boot));
    }

    private readonly Dictionary<string, Scheduling.CronTrigger> _triggers = new(StringComparer.Ordinal);

    private async Task<ServiceSupervisor> ServiceSupervisorFactory(ServiceDefinition definition)
    {
        var supervisor = await ServiceSupervisor.CreateAsync(definition, context);
        supervisor.SnapshotPublished = _ => Changed?.Invoke();
        UpdateTrigger(supervisor, definition);
        return supervisor;
    }

    /// <summary>Creates, re-arms or removes the cron trigger of a service to match its definition.</summary>
    private void UpdateTrigger(ServiceSupervisor supervisor, ServiceDefinition? definition)
    {
        lock (_triggers)
        {
            if (definition?.Schedule is { } schedule)
            {
                if (_triggers.TryGetValue(supervisor.Name, out var existing))
                {
                    existing.Update(schedule);
                }
                else
                {
                    _triggers[supervisor.Name] = new Scheduling.CronTrigger(supervisor, schedule, context.Time, context.Events);
                }
            }
            else if (_triggers.Remove(supervisor.Name, out var trigger))
            {
                trigger.Dispose();
                supervisor.NextRun = null;
            }
        }
    }

    /// <summary>Kills and removes <c>pm-*</c> groups of services that are not configured (any more).</summary>
    private async Task RemoveStrayGroupsAsync(HashSet<string> configured)
    {
        foreach (var name in context.Cgroups.ExistingServiceNames().Where(n => !configured.Contains(n)))
        {
            using var cgroup = context.Cgroups.Service(name);
            if (cgroup.IsPopulated)
            {
                context.Events.Record(name, "reconcile", $"service is no longer configured; killing its {cgroup.Pids().Count} leftover process(es)");
                cgroup.Kill();
                await WaitEmptyAsync(cgroup, TimeSpan.FromSeconds(5));
            }

            cgroup.Remove();
        }
    }

    /// <summary>Resolves a target: one service by name, or every service for <c>all</c>.</summary>
    public IReadOnlyList<ServiceSupervisor>? Resolve(string target) =>
        target == ApplicationName.AllTarget
            ? [.. _services.Values]
            : _services.TryGetValue(target, out var one) ? [one] : null;

    public Task<IReadOnlyList<TargetResult>> StartAsync(IReadOnlyList<ServiceSupervisor> targets, bool force, bool skipDisabled) =>
        RunAsync(targets.Where(s => !skipDisabled || force || s.Snapshot.Definition.Enabled).ToList(),
            s => s.StartAsync(StartReason.Operator, force));

    public Task<IReadOnlyList<TargetResult>> StopAsync(IReadOnlyList<ServiceSupervisor> targets) =>
        RunAsync(targets, s => s.StopAsync(StopReason.Operator));

    public Task<IReadOnlyList<TargetResult>> RestartAsync(IReadOnlyList<ServiceSupervisor> targets, bool force, bool skipDisabled) =>
        RunAsync(targets.Where(s => !skipDisabled || force || s.Snapshot.Definition.Enabled).ToList(),
            s => s.RestartAsync(force));

    private static async Task<IReadOnlyList<TargetResult>> RunAsync(IReadOnlyList<ServiceSupervisor> targets, Func<ServiceSupervisor, Task<OperationResult>> operation)
    {
        var results = await ForEachAsync(targets, async s => new TargetResult(s.Name, await operation(s)));
        return [.. results.OrderBy(r => r.Name, StringComparer.Ordinal)];
    }

    /// <summary>
    /// Graceful shutdown: every service through its normal stop sequence in parallel, then a final
    /// sweep that kills whatever is left in any service cgroup and waits for them to empty.
    /// </summary>
    public async Task ShutdownAsync()
    {
        ShuttingDown = true;
        await _reloadLock.WaitAsync();
        var services = _services.Values.ToList();
        foreach (var service in services)
        {
            UpdateTrigger(service, null); // no new cron runs during shutdown
        }

        await ForEachAsync(services, s => s.StopAsync(StopReason.Shutdown));
        var remaining = services.Where(s => s.Cgroup.IsPopulated).ToList();
        if (remaining.Count > 0)
        {
            context.Events.Record(null, "shutdown", $"{remaining.Count} service cgroup(s) still populated; killing them");
            foreach (var service in remaining)
            {
                service.Cgroup.Kill();
            }

            await Task.WhenAll(remaining.Select(s => WaitEmptyAsync(s.Cgroup, TimeSpan.FromSeconds(5))));
        }

        foreach (var service in services)
        {
            UpdateTrigger(service, null);
            await service.DisposeAsync(removeCgroups: true);
        }

        _services = _services.Clear();
    }

    /// <summary>Waits for the cgroup to empty (cgroup.events), up to <paramref name="timeout"/>.</summary>
    internal async Task<bool> WaitEmptyAsync(ServiceCgroup cgroup, TimeSpan timeout)
    {
        var emptied = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (context.Watcher.Watch(cgroup.Group, populated =>
               {
                   if (!populated)
                   {
                       emptied.TrySetResult();
                   }
               }))
        {
            if (!cgroup.IsPopulated)
            {
                return true;
            }

            await Task.WhenAny(emptied.Task, Task.Delay(timeout));
            return !cgroup.IsPopulated;
        }
    }

    /// <summary>Runs <paramref name="action"/> for each item, at most <see cref="ParallelOperations"/> at a time.</summary>
    private static async Task<List<TResult>> ForEachAsync<TItem, TResult>(IReadOnlyList<TItem> items, Func<TItem, Task<TResult>> action)
    {
        var results = new TResult[items.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, items.Count), new ParallelOptions { MaxDegreeOfParallelism = ParallelOperations },
            async (i, _) => results[i] = await action(items[i]));
        return [.. results];
    }
}
