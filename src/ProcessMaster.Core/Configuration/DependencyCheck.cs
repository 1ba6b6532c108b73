using ProcessMaster.Core.Configuration.Yaml;

namespace ProcessMaster.Core.Configuration;

/// <summary>
/// What <c>depends_on</c> can only be checked against once every file is loaded: each entry names a
/// configured service (a suggestion when it does not), not itself and not a cron job; the condition suits
/// the dependency (<c>healthy</c> needs a readiness probe, <c>completed_successfully</c> a one-shot service);
/// and no dependencies go round in a cycle (the cycle is printed). A definition with such a problem is not
/// loaded; each problem is reported at its entry's file:line:col. A dependency whose own file did not
/// load is no error here: the dependent waits for it.
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

        foreach (var (service, cycle, edge) in Cycles(services, byName))
        {
            Add(service, edge.At.Error($"dependency cycle: {string.Join(" -> ", cycle)}"));
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

    /// <summary>
    /// Every service that lies on a cycle, with one cycle through it (starting and ending at it) and its entry
    /// that begins that cycle. Only edges between loaded services count.
    /// </summary>
    private static IEnumerable<(ServiceDefinition Service, List<string> Cycle, Dependency Edge)> Cycles(
        IReadOnlyList<ServiceDefinition> services, Dictionary<string, ServiceDefinition> byName)
    {
        foreach (var service in services)
        {
            // Breadth-first from each of its dependencies back to itself: the shortest cycle through it.
            var parent = new Dictionary<string, string>(StringComparer.Ordinal);
            var queue = new Queue<string>();
            foreach (var edge in service.DependsOn.Where(d => byName.ContainsKey(d.Service) && d.Service != service.Name))
            {
                if (parent.TryAdd(edge.Service, service.Name))
                {
                    queue.Enqueue(edge.Service);
                }
            }

            while (queue.Count > 0)
            {
                var current = queue.Dequeue();
                if (current == service.Name)
                {
                    var cycle = new List<string> { service.Name };
                    for (var at = parent[service.Name]; at != service.Name; at = parent[at])
                    {
                        cycle.Add(at);
                    }

                    cycle.Add(service.Name);
                    cycle.Reverse();
                    yield return (service, cycle, service.DependsOn.First(d => d.Service == cycle[1]));
                    break;
                }

                foreach (var next in byName[current].DependsOn.Where(d => byName.ContainsKey(d.Service)))
                {
                    if (parent.TryAdd(next.Service, current))
                    {
                        queue.Enqueue(next.Service);
                    }
                }
            }
        }
    }
}
