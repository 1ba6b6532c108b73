using ProcessMaster.Core.Configuration;

namespace ProcessMaster.Core.Supervision;

/// <summary>
/// The services' <c>depends_on</c> as a graph, for operations on several services at once: starting a
/// service starts what it needs, stopping one stops what needs it first, shutdown goes from dependents to
/// their dependencies. Only edges between services in the graph count (the load rejected cycles).
/// </summary>
public sealed class DependencyGraph
{
    private readonly Dictionary<string, string[]> _dependencies = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _dependents = new(StringComparer.Ordinal);

    public DependencyGraph(IEnumerable<ServiceDefinition> definitions)
    {
        foreach (var definition in definitions)
        {
            _dependencies[definition.Name] = [.. definition.DependsOn.Select(d => d.Service)];
            _dependents.TryAdd(definition.Name, []);
        }

        foreach (var (name, needs) in _dependencies)
        {
            foreach (var dependency in needs.Where(_dependents.ContainsKey))
            {
                _dependents[dependency].Add(name);
            }
        }
    }

    public static DependencyGraph Empty { get; } = new([]);

    /// <summary>The services that depend on <paramref name="name"/> directly.</summary>
    public IReadOnlyList<string> DependentsOf(string name) => _dependents.TryGetValue(name, out var list) ? list : [];

    /// <summary>The services <paramref name="name"/> depends on directly (those in the graph).</summary>
    public IEnumerable<string> DependenciesOf(string name) =>
        _dependencies.TryGetValue(name, out var needs) ? needs.Where(_dependencies.ContainsKey) : [];

    /// <summary><paramref name="names"/> and everything they need, transitively.</summary>
    public HashSet<string> WithDependencies(IEnumerable<string> names) => Closure(names, DependenciesOf);

    /// <summary><paramref name="names"/> and everything that needs them, transitively.</summary>
    public HashSet<string> WithDependents(IEnumerable<string> names) => Closure(names, DependentsOf);

    /// <summary>
    /// <paramref name="names"/> in groups to stop one group after the other: no service is in an earlier group
    /// than a service (of these) that depends on it. Each group can be stopped in parallel.
    /// </summary>
    public List<List<string>> StopOrder(IReadOnlyCollection<string> names)
    {
        var left = new HashSet<string>(names, StringComparer.Ordinal);
        var groups = new List<List<string>>();
        while (left.Count > 0)
        {
            var free = left.Where(n => !DependentsOf(n).Any(left.Contains)).Order(StringComparer.Ordinal).ToList();
            if (free.Count == 0)
            {
                free = [.. left.Order(StringComparer.Ordinal)]; // a cycle cannot load; should one be here, it stops at once
            }

            groups.Add(free);
            left.ExceptWith(free);
        }

        return groups;
    }

    private static HashSet<string> Closure(IEnumerable<string> names, Func<string, IEnumerable<string>> next)
    {
        var seen = new HashSet<string>(names, StringComparer.Ordinal);
        var queue = new Queue<string>(seen);
        while (queue.Count > 0)
        {
            foreach (var other in next(queue.Dequeue()))
            {
                if (seen.Add(other))
                {
                    queue.Enqueue(other);
                }
            }
        }

        return seen;
    }
}
