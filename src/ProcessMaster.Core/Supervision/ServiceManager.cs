using System.Collections.Immutable;
using ProcessMaster.Core.Events;
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

    /// <summary>Who depends on whom, rebuilt at boot and reload.</summary>
    private volatile DependencyGraph _graph = DependencyGraph.Empty;

    /// <summary>What each service's dependents were last told of it (Seq aside): an unchanged status is not sent again.</summary>
    private readonly Dictionary<string, DependencyStatus> _told = new(StringComparer.Ordinal);

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
        var configured = definitions.Select(d => d.Name).ToHashSet(StringComparer.Ordinal);
        await RemoveStrayGroupsAsync(configured);
        context.Records.Retain(configured);
        await context.State.RetainAsync(definitions.Select(d => d.Name));
        _graph = new DependencyGraph(definitions);
        // On every core: after a re-exec, clients wait for this (each supervisor opens its cgroup and
        // finds what it adopts).
        var created = new ServiceSupervisor[definitions.Count];
        Parallel.For(0, definitions.Count, i => created[i] = Supervise(definitions[i]));
        _services = _services.AddRange(created.Select(s => KeyValuePair.Create(s.Name, s)));
        TellEveryDependent();
        supervised?.Invoke();
        await ForEachAsync(created.Where(s => StartPolicy.StartsWithTheRest(s.Snapshot.Definition)).ToList(),
            async s => await s.StartAsync(StartReason.Boot));
    }

    private ServiceSupervisor Supervise(ServiceDefinition definition) =>
        new(definition, context)
        {
            SnapshotPublished = snapshot =>
            {
                TellDependents(snapshot, force: false);
                Changed?.Invoke();
            },
        };

    /// <summary>Tells the services that depend on <paramref name="snapshot"/>'s service what it is now, when that changed.</summary>
    private void TellDependents(ServiceSnapshot snapshot, bool force)
    {
        var status = snapshot.AsDependency;
        lock (_told)
        {
            if (!force && _told.TryGetValue(snapshot.Name, out var told) && told with { Seq = 0 } == status with { Seq = 0 })
            {
                return;
            }

            _told[snapshot.Name] = status;
        }

        foreach (var dependent in _graph.DependentsOf(snapshot.Name))
        {
            if (_services.TryGetValue(dependent, out var supervisor))
            {
                supervisor.DependencyChanged(snapshot.Name, status);
            }
        }
    }

    /// <summary>After boot or reload: every dependent hears of each of its dependencies (a late, older status is ignored by the sequence number).</summary>
    private void TellEveryDependent()
    {
        foreach (var service in _services.Values)
        {
            TellDependents(service.Snapshot, force: true);
        }
    }

    /// <summary>The service spoke sd_notify (the notify socket found whose process <paramref name="pid"/> is).</summary>
    public void Notify(string app, int pid, NotifyMessage message)
    {
        if (_services.TryGetValue(app, out var service))
        {
            service.Notify(pid, message);
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
                context.Events.Record(name, new StrayGroupKilled(cgroup.Pids().Count));
                await EmptyAsync(cgroup);
            }

            cgroup.Remove();
        }
    }

    /// <summary>
    /// Starts <paramref name="targets"/> and, unless <paramref name="noDeps"/>, what they need first (each
    /// waits for its own dependencies; with <paramref name="noDeps"/> the targets start now, whatever their
    /// dependencies). All are asked at once: a start waiting for a dependency must not hold up that
    /// dependency's own start. <paramref name="all"/>: the operator named none of them (<see cref="StartPolicy"/> picks).
    /// </summary>
    public async Task<IReadOnlyList<TargetResult>> StartAsync(IReadOnlyList<ServiceSupervisor> targets, bool force, bool all, bool noDeps = false, string? by = null)
    {
        var chosen = StartPolicy.OperatorStart(targets, all, force);
        // A one-shot dependency that completed is done: it is not run again for its dependents.
        var needed = noDeps ? [] : Resolve(_graph.WithDependencies(chosen.Select(s => s.Name)).Except(chosen.Select(s => s.Name)))
            .Where(s => (s.Snapshot.Definition.Enabled || force) && s.Snapshot.State != ServiceState.Exited).ToList();
        var results = await Task.WhenAll(
            chosen.Select(async s => new TargetResult(s.Name, await s.StartAsync(StartReason.Operator, force, noDeps, by))).Concat(
            needed.Select(async s => new TargetResult(s.Name, Because(s, await s.StartAsync(StartReason.Operator, force, by: by), chosen, dependency: true)))));
        return [.. results.OrderBy(r => r.Name, StringComparer.Ordinal)];
    }

    /// <summary>
    /// Stops <paramref name="targets"/> and, unless <paramref name="noDeps"/>, first whatever depends on them
    /// and would run (or is about to), in reverse dependency order; dependents' results say so.
    /// </summary>
    public async Task<IReadOnlyList<TargetResult>> StopAsync(IReadOnlyList<ServiceSupervisor> targets, bool noDeps = false, string? by = null)
    {
        var dependents = noDeps ? [] : Resolve(_graph.WithDependents(targets.Select(s => s.Name)).Except(targets.Select(s => s.Name)))
            .Where(s => s.Snapshot.State is not (ServiceState.Stopped or ServiceState.Failed or ServiceState.Exited)).ToList();
        var results = new List<TargetResult>();
        var byName = targets.Concat(dependents).ToDictionary(s => s.Name, StringComparer.Ordinal);
        foreach (var group in _graph.StopOrder(byName.Keys))
        {
            results.AddRange(await RunAsync(Resolve(group), async s =>
            {
                var outcome = await s.StopAsync(StopReason.Operator, by);
                return targets.Contains(s) ? outcome : Because(s, outcome, targets, dependency: false);
            }));
        }

        return [.. results.OrderBy(r => r.Name, StringComparer.Ordinal)];
    }

    /// <summary>Signals each of <paramref name="targets"/> (<c>pmctl signal</c>); dependencies play no part.</summary>
    public Task<IReadOnlyList<TargetResult>> SignalAsync(IReadOnlyList<ServiceSupervisor> targets, int signal, bool mainOnly) =>
        RunAsync(targets, s => s.SignalAsync(signal, mainOnly));

    public Task<IReadOnlyList<TargetResult>> RestartAsync(IReadOnlyList<ServiceSupervisor> targets, bool force, bool all, bool noDeps = false, string? by = null) =>
        RunAsync(StartPolicy.OperatorStart(targets, all, force), s => s.RestartAsync(force, noDeps, by));

    /// <summary>The outcome of a service acted on for the targets' sake, naming the targets it is there for.</summary>
    private OperationOutcome Because(ServiceSupervisor service, OperationOutcome outcome, IReadOnlyList<ServiceSupervisor> targets, bool dependency)
    {
        var related = targets.Where(t => dependency
            ? _graph.WithDependencies([t.Name]).Contains(service.Name)
            : _graph.WithDependents([t.Name]).Contains(service.Name)).Select(t => t.Name).ToList();
        var named = string.Join(", ", related.Take(3)) + (related.Count > 3 ? $" and {related.Count - 3} more" : "");
        return outcome with { Message = $"{outcome.Message} ({(dependency ? "needed by" : "depends on")} {named})" };
    }

    private List<ServiceSupervisor> Resolve(IEnumerable<string> names) =>
        [.. names.Select(n => _services.TryGetValue(n, out var s) ? s : null).OfType<ServiceSupervisor>()];

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
    /// Graceful shutdown: every service through its normal stop sequence (which also ends cron schedules),
    /// dependents before their dependencies and in parallel where the graph allows, then whatever a stop
    /// could not empty is killed once more.
    /// </summary>
    public async Task ShutdownAsync()
    {
        ShuttingDown = true;
        await _reloadLock.WaitAsync();
        var services = _services.Values.ToList();
        // Dependents before what they depend on; each group in parallel.
        foreach (var group in _graph.StopOrder(_services.Keys.ToList()))
        {
            await ForEachAsync(Resolve(group), s => s.StopAsync(StopReason.Shutdown));
        }

        var remaining = services.Where(s => s.Cgroup.IsPopulated).ToList();
        if (remaining.Count > 0)
        {
            context.Events.Record(null, new ShutdownKilling(remaining.Count));
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
