namespace ProcessMaster.Core.Cgroups;

/// <summary>A kernel interface the daemon uses where it exists and works around where it does not.</summary>
public enum KernelFeature
{
    /// <summary><c>cgroup.kill</c> (5.14): SIGKILL a whole subtree at once.</summary>
    CgroupKill,

    /// <summary><c>cgroup.freeze</c> (5.2): freeze a subtree, so a forking service holds still while it is killed.</summary>
    CgroupFreeze,

    /// <summary><c>cgroup.events</c> (4.5): the populated flag, watched through inotify.</summary>
    CgroupEvents,

    /// <summary>Pressure stall files per cgroup (4.20, cgroup2).</summary>
    Pressure,

    /// <summary><c>memory.peak</c> (5.19, cgroup2 memory controller).</summary>
    MemoryPeak,

    /// <summary><c>pidfd_open</c> (5.3): signal a process without a pid-reuse race.</summary>
    Pidfd,

    /// <summary>A cgroup v1 freezer hierarchy is mounted: the kill fallback where cgroup2 cannot freeze.</summary>
    V1Freezer,
}

/// <summary>
/// What this kernel offers, found once at start in the master group, minus what the operator turned off
/// with <c>PM_DISABLE_FEATURES</c> (a diagnostic that only ever takes features away, to exercise the
/// fallbacks of older kernels on a newer one).
/// </summary>
public sealed class KernelFeatures(IReadOnlySet<KernelFeature> present, IReadOnlySet<KernelFeature> disabled)
{
    public const string DisableVariable = "PM_DISABLE_FEATURES";

    private static readonly (KernelFeature Feature, string Name)[] Names =
    [
        (KernelFeature.CgroupKill, "cgroup.kill"),
        (KernelFeature.CgroupFreeze, "cgroup.freeze"),
        (KernelFeature.CgroupEvents, "cgroup.events"),
        (KernelFeature.Pressure, "psi"),
        (KernelFeature.MemoryPeak, "memory.peak"),
        (KernelFeature.Pidfd, "pidfd"),
        (KernelFeature.V1Freezer, "freezer"),
    ];

    /// <summary>The names <see cref="DisableVariable"/> takes.</summary>
    public static string KnownNames => string.Join(", ", Names.Select(n => n.Name));

    /// <summary>Every feature, none disabled: a current kernel (and the fakes of unit tests).</summary>
    public static KernelFeatures All { get; } = new(Enum.GetValues<KernelFeature>().ToHashSet(), new HashSet<KernelFeature>());

    public IReadOnlySet<KernelFeature> Present => present;

    /// <summary>Present and not turned off.</summary>
    public bool Has(KernelFeature feature) => present.Contains(feature) && !disabled.Contains(feature);

    private static string Name(KernelFeature feature) => Names.First(n => n.Feature == feature).Name;

    /// <summary>The features named in <paramref name="text"/> (comma- or space-separated); names it does not know go to <paramref name="unknown"/>.</summary>
    public static HashSet<KernelFeature> ParseDisabled(string? text, out List<string> unknown)
    {
        var disabled = new HashSet<KernelFeature>();
        unknown = [];
        foreach (var name in (text ?? "").Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var match = Names.Where(n => n.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(n => (KernelFeature?)n.Feature).FirstOrDefault();
            if (match is { } feature)
            {
                disabled.Add(feature);
            }
            else
            {
                unknown.Add(name);
            }
        }

        return disabled;
    }

    /// <summary>
    /// Looks for each interface in <paramref name="group"/>, a non-root cgroup2 group (the root has no
    /// cgroup.kill), given whether a v1 freezer is mounted and whether pidfd_open works.
    /// </summary>
    public static KernelFeatures Probe(string group, bool memoryOnV2, bool v1FreezerMounted, bool pidfds, IReadOnlySet<KernelFeature> disabled,
        Func<string, bool> exists)
    {
        var present = new HashSet<KernelFeature>();
        if (v1FreezerMounted)
        {
            present.Add(KernelFeature.V1Freezer);
        }

        if (pidfds)
        {
            present.Add(KernelFeature.Pidfd);
        }

        void Check(KernelFeature feature, string file)
        {
            if (exists(Path.Combine(group, file)))
            {
                present.Add(feature);
            }
        }

        Check(KernelFeature.CgroupKill, "cgroup.kill");
        Check(KernelFeature.CgroupFreeze, "cgroup.freeze");
        Check(KernelFeature.CgroupEvents, "cgroup.events");
        Check(KernelFeature.Pressure, "cpu.pressure");
        if (memoryOnV2)
        {
            Check(KernelFeature.MemoryPeak, "memory.peak");
        }

        return new KernelFeatures(present, disabled);
    }

    /// <summary>The boot log's account: what was found, what is off, and how the daemon does without.</summary>
    public IEnumerable<string> Describe(string killMethod, bool memoryOnV2)
    {
        string List(IEnumerable<KernelFeature> features) => string.Join(", ", features.Select(Name).DefaultIfEmpty("none"));
        yield return $"kernel features: {List(Names.Select(n => n.Feature).Where(Has))}" +
                     (disabled.Count > 0 ? $"; turned off by {DisableVariable}: {List(disabled)}" : "");
        yield return $"stopping a service kills its cgroup {killMethod}";
        if (!Has(KernelFeature.CgroupEvents))
        {
            yield return "no cgroup.events: a service's end is noticed by reading its cgroup.procs every 100 ms";
        }

        if (!Has(KernelFeature.Pidfd))
        {
            yield return "no pidfd: signals go by pid, each checked to be in the service's cgroup just before; an adopted main process is looked at in /proc every 100 ms";
        }

        if (!Has(KernelFeature.Pressure))
        {
            yield return "no pressure (PSI) files: pressure is absent from perf-metrics and /metrics";
        }

        if (memoryOnV2 && !Has(KernelFeature.MemoryPeak))
        {
            yield return "no memory.peak: the memory peak is absent from perf-metrics and /metrics";
        }
    }
}
