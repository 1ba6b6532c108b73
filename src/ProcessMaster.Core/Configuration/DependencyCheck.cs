using ProcessMaster.Core.Configuration.Yaml;

namespace ProcessMaster.Core.Configuration;

/// <summary>
/// What <c>depends_on</c> can only be checked against once every file is loaded: each entry names a
/// configured service (a suggestion when it does not), not itself and not a cron job; the condition suits
/// the dependency (<c>healthy</c> needs a readiness probe, <c>completed_successfully</c> a one-shot service);
/// and no dependencies go round in a cycle. A definition with such a problem is not loaded; each problem is
/// reported at its entry's file:line:col, a cycle once for all the services on it (at the entry of the first
/// of them in load order), however many they are. A dependency whose own file did not load is no error here:
/// the dependent waits for it.
/// </summary>
public static class DependencyCheck
{
    /// <summary>The problems of each definition that has any, by service name.</summary>
    public static Dictionary<string, List<ConfigError>> Problems(IReadOnlyList<ServiceDefinition> services, IReadOnlySet<string> failedToLoad)
    {
        var byName = services.ToDictionary(s => s.Name, StringComparer.Ordinal);
        var problems = new Dictionary<string, List<ConfigError>>(StringComparer.Ordinal);
        void Add(ServiceDefinition service, ConfigError error)
        {
            if (!problems.TryGetValue(service.Name, out var list))
            {
                problems[service.Name] = list = [];
            }

            list.Add(error);
        }

        foreach (var service in services)
        {
            foreach (var dependency in service.DependsOn)
            {
                if (EdgeProblem(service, dependency, byName, failedToLoad) is { } problem)
                {
                    Add(service, dependency.At.Error(problem));
                }
            }
        }

        foreach (var circle in Circles(services, byName))
        {
            // Said once, at the first of them; the others are not loaded either, with nothing more to say.
            var (first, cycle) = ShortestCycle(circle, byName);
            var others = circle.Count > cycle.Count - 1 ? $"; {circle.Count} services depend on each other in a circle" : "";
            Add(first, first.DependsOn.First(d => d.Service == cycle[1]).At.Error($"dependency cycle: {Abbreviate(cycle)}{others}; none of them is loaded"));
            foreach (var member in circle.Where(m => m != first && !problems.ContainsKey(m.Name)))
            {
                problems[member.Name] = [];
            }
        }

        return problems;
    }

    private static string? EdgeProblem(ServiceDefinition service, Dependency dependency, Dictionary<string, ServiceDefinition> byName, IReadOnlySet<string> failedToLoad)
    {
        if (dependency.Service == service.Name)
        {
            return "a service cannot depend on itself";
        }

        if (!byName.TryGetValue(dependency.Service, out var target))
        {
            if (failedToLoad.Contains(dependency.Service))
            {
                return null;
            }

            var suggestion = KeySuggester.Nearest(dependency.Service, byName.Keys.Concat(failedToLoad).Where(n => n != service.Name));
            return $"unknown service '{dependency.Service}'" + (suggestion is null ? "" : $"; did you mean '{suggestion}'?");
        }

        if (target.IsCron)
        {
            return $"'{target.Name}' is a cron job; a service can only depend on long-running or one-shot services";
        }

        return dependency.Condition switch
        {
            DependencyCondition.Healthy when target.Readiness is null =>
                $"'{target.Name}' has no readiness_probe, so it never becomes healthy; give it one, or use condition: started",
            DependencyCondition.CompletedSuccessfully when target.Restart is not { Policy: RestartPolicy.Never } =>
                $"'{target.Name}' is restarted whenever it ends (restart_policy: always), so it never completes; give it restart_policy: {{policy: never}}, or use condition: started",
            _ => null,
        };
    }

    /// <summary>The cycle's names, the middle left out when there are many (a generated config can have thousands).</summary>
    private static string Abbreviate(List<string> cycle) => cycle.Count <= 12
        ? string.Join(" -> ", cycle)
        : $"{string.Join(" -> ", cycle.Take(5))} -> ... ({cycle.Count - 8} more) -> {string.Join(" -> ", cycle.TakeLast(3))}";

    /// <summary>
    /// The strongly connected groups of two or more services (Tarjan's algorithm, without recursion: a chain of
    /// ten thousand must not overflow the stack), each in load order. Only edges between loaded services count.
    /// </summary>
    private static List<List<ServiceDefinition>> Circles(IReadOnlyList<ServiceDefinition> services, Dictionary<string, ServiceDefinition> byName)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var low = new Dictionary<string, int>(StringComparer.Ordinal);
        var onStack = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var circles = new List<List<ServiceDefinition>>();
        var order = services.Select((s, i) => (s.Name, i)).ToDictionary(p => p.Name, p => p.i, StringComparer.Ordinal);
        foreach (var root in services)
        {
            if (index.ContainsKey(root.Name))
            {
                continue;
            }

            var work = new Stack<(string Name, int Next)>();
            Visit(root.Name);
            while (work.Count > 0)
            {
                var (name, next) = work.Pop();
                var edges = byName[name].DependsOn;
                if (next < edges.Count)
                {
                    work.Push((name, next + 1));
                    var to = edges[next].Service;
                    if (to == name || !byName.ContainsKey(to))
                    {
                        continue;
                    }

                    if (!index.ContainsKey(to))
                    {
                        Visit(to);
                    }
                    else if (onStack.Contains(to))
                    {
                        low[name] = Math.Min(low[name], index[to]);
                    }

                    continue;
                }

                if (work.Count > 0)
                {
                    var parent = work.Peek().Name;
                    low[parent] = Math.Min(low[parent], low[name]);
                }

                if (low[name] == index[name])
                {
                    var members = new List<ServiceDefinition>();
                    string member;
                    do
                    {
                        member = stack.Pop();
                        onStack.Remove(member);
                        members.Add(byName[member]);
                    }
                    while (member != name);

                    if (members.Count > 1)
                    {
                        circles.Add([.. members.OrderBy(m => order[m.Name])]);
                    }
                }
            }

            void Visit(string name)
            {
                index[name] = low[name] = index.Count;
                stack.Push(name);
                onStack.Add(name);
                work.Push((name, 0));
            }
        }

        return circles;
    }

    /// <summary>The first service of <paramref name="circle"/> and the shortest cycle through it (starting and ending at it), within the circle.</summary>
    private static (ServiceDefinition First, List<string> Cycle) ShortestCycle(List<ServiceDefinition> circle, Dictionary<string, ServiceDefinition> byName)
    {
        var first = circle[0];
        var within = circle.Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        var parent = new Dictionary<string, string>(StringComparer.Ordinal);
        var queue = new Queue<string>();
        queue.Enqueue(first.Name);
        while (queue.Count > 0)
        {
            var current = queue.Dequeue();
            foreach (var next in byName[current].DependsOn.Select(d => d.Service).Where(within.Contains))
            {
                if (next == first.Name)
                {
                    var cycle = new List<string> { first.Name };
                    for (var at = current; at != first.Name; at = parent[at])
                    {
                        cycle.Add(at);
                    }

                    cycle.Add(first.Name);
                    cycle.Reverse();
                    return (first, cycle);
                }

                if (parent.TryAdd(next, current))
                {
                    queue.Enqueue(next);
                }
            }
        }

        throw new System.Diagnostics.UnreachableException("a strongly connected group of two or more has a cycle through each member");
    }
}
