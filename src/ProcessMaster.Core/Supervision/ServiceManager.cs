using System.Collections.Immutable;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Supervision.Ports;

namespace ProcessMaster.Core.Supervision;

/// <summary>The outcome of an operator command on one service.</summary>
public sealed record TargetResult(string Name, OperationOutcome Result);

/// <summary>
/// Owns every supervisor: creates them at boot (removing stray <c>pm-*</c> groups), routes operator
/// commands to them, and shuts everything down so that every service cgroup is empty before the daemon
/// exits. It decides nothing about a service: that is its supervisor's machine.
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

    /// <summary>
    /// Removes stray service groups, creates the supervisors (which adopt what an earlier daemon left),
    /// calls <paramref name="supervised"/> (the daemon serves its socket from then on: status is right,
    /// commands reach a supervisor), then starts every enabled service (not cron jobs).
    /// </summary>
    public async Task BootAsync(IReadOnlyList<ServiceDefinition> definitions, Action? supervised = null)
    {
        await RemoveStrayGroupsAsync(definitions.Select(d => d.Name).ToHashSet(StringComparer.Ordinal));
        await context.State.RetainAsync(definitions.Select(d => d.Name));
        // On every core: after a re-exec, clients wait for this (each supervisor opens its cgroup and
        // finds what it adopts).
        var created = new ServiceSupervisor[definitions.Count];
        Parallel.For(0, definitions.Count, i => created[i] = Supervise(definitions[i]));
        _services = _services.AddRange(created.Select(s => KeyValuePair.Create(s.Name, s)));
        supervised?.Invoke();
        await ForEachAsync(created.Where(s => !s.Snapshot.Definition.IsCron).ToList(),
            async s => await s.StartAsync(StartReason.Boot));
    }

    private ServiceSupervisor Supervise(ServiceDefinition definition) =>
        new(definition, context) { SnapshotPublished = _ => Changed?.Invoke() };

    /// <summary>Kills and removes <c>pm-*</c> groups of services that are not configured (any more).</summary>
    private async Task RemoveStrayGroupsAsync(HashSet<string> configured)
    {
        foreach (var name in context.Cgroups.ExistingServiceNames().Where(n => !configured.Contains(n)))
        {
            using var cgroup = context.Cgroups.Service(name);
            if (cgroup.IsPopulated)
            {
                context.Events.Record(name, "reconcile", $"service is no longer configured; killing its {cgroup.Pids().Count} leftover process(es)");
                await EmptyAsync(cgroup);
            }

            cgroup.Remove();
        }
    }

    public Task<IReadOnlyList<TargetResult>> StartAsync(IReadOnlyList<ServiceSupervisor> targets, bool force, bool skipDisabled) =>
        RunAsync(targets.Where(s => !skipDisabled || force || s.Snapshot.Definition.Enabled).ToList(),
            s => s.StartAsync(StartReason.Operator, force));

    public Task<IReadOnlyList<TargetResult>> StopAsync(IReadOnlyList<ServiceSupervisor> targets) =>
        RunAsync(targets, s => s.StopAsync(StopReason.Operator));

    public Task<IReadOnlyList<TargetResult>> RestartAsync(IReadOnlyList<ServiceSupervisor> targets, bool force, bool skipDisabled) =>
        RunAsync(targets.Where(s => !skipDisabled || force || s.Snapshot.Definition.Enabled).ToList(),
            s => s.RestartAsync(force));

    private static async Task<IReadOnlyList<TargetResult>> RunAsync(IReadOnlyList<ServiceSupervisor> targets, Func<ServiceSupervisor, Task<OperationOutcome>> operation)
    {
        var results = await ForEachAsync(targets, async s => new TargetResult(s.Name, await operation(s)));
        return [.. results.OrderBy(r => r.Name, StringComparer.Ordinal)];
    }

    /// <summary>
    /// Holds every supervisor still (and reloads out) until <paramref name="resume"/> completes: for a
    /// re-exec, whose saved state must be the last word. Completes once all of them hold.
    /// </summary>
    public async Task PauseAllAsync(Task resume)
    {
        await _reloadLock.WaitAsync();
        _ = resume.ContinueWith(_ => _reloadLock.Release(), TaskScheduler.Default);
        await Task.WhenAll(_services.Values.Select(s => s.PauseAsync(resume)));
    }

    /// <summary>
    /// Graceful shutdown: every service through its normal stop sequence in parallel (which also ends
    /// cron schedules), then whatever a stop could not empty is killed once more.
    /// </summary>
    public async Task ShutdownAsync()
    {
        ShuttingDown = true;
        await _reloadLock.WaitAsync();
        var services = _services.Values.ToList();
        await ForEachAsync(services, s => s.StopAsync(StopReason.Shutdown));
        var remaining = services.Where(s => s.Cgroup.IsPopulated).ToList();
        if (remaining.Count > 0)
        {
            context.Events.Record(null, "shutdown", $"{remaining.Count} service cgroup(s) still populated; killing them");
            await Task.WhenAll(remaining.Select(s => EmptyAsync(s.Cgroup)));
        }

        foreach (var service in services)
        {
            await service.DisposeAsync(removeCgroups: true);
            context.Records.Forget(service.Name); // nothing runs: the next daemon starts afresh
        }

        _services = _services.Clear();
    }

    /// <summary>
    /// Empties a group no supervisor runs a stop sequence for: cgroup.kill, then up to
    /// <see cref="ServiceStateMachine.KillTimeout"/> for it to empty (cgroup.events).
    /// </summary>
    private async Task EmptyAsync(IServiceCgroup cgroup)
    {
        var emptied = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (context.Cgroups.Watch(cgroup, populated =>
               {
                   if (!populated)
                   {
                       emptied.TrySetResult();
                   }
               }))
        {
            cgroup.Kill();
            if (cgroup.IsPopulated)
            {
                await Task.WhenAny(emptied.Task, Task.Delay(ServiceStateMachine.KillTimeout, context.Time));
            }
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
