using ProcessMaster.Core.Configuration;

namespace ProcessMaster.Core.Cgroups;

/// <summary>
/// Where everything lives: the master group on the cgroup2 hierarchy (membership, cgroup.kill,
/// cgroup.events), and for each limit controller whether it is written there or, on hybrid hosts,
/// in a parallel group under the daemon's own cgroup of a v1 hierarchy.
/// </summary>
public sealed class CgroupLayout
{
    public const string ServicePrefix = "pm-";
    public const string RunLeaf = "run";

    /// <summary>The groups exec checks run in: <c>pm-check-readiness</c>, <c>pm-check-liveness</c>.</summary>
    public const string CheckLeafPrefix = "pm-check-";
    public const string AdminActionsGroup = "admin_actions";
    public const string PipeHolderGroup = "pipe_holder";

    private readonly Dictionary<CgroupController, string> _v1Masters;

    public CgroupLayout(string v2Root, string name, IReadOnlyDictionary<CgroupController, LimitBackendKind> backends,
        IReadOnlyDictionary<CgroupController, string> v1Masters, IReadOnlyList<string> notes, string? v1FreezerMaster = null)
    {
        V2Root = v2Root;
        Master = Path.Combine(v2Root, name);
        Backends = backends;
        _v1Masters = new Dictionary<CgroupController, string>(v1Masters);
        Notes = notes;
        V1FreezerMaster = v1FreezerMaster;
    }

    /// <summary>Where the master group would go in a v1 freezer hierarchy, when one is mounted.</summary>
    public string? V1FreezerMaster { get; }

    /// <summary>What the kernel offers; found by <see cref="CgroupManager.SetupMaster"/> before any service group exists.</summary>
    public KernelFeatures Features { get; private set; } = KernelFeatures.All;

    /// <summary>Whether services also join a v1 freezer group (the kill fallback on kernels without cgroup.freeze).</summary>
    public bool UsesV1Freezer => _v1Masters.ContainsKey(CgroupController.Freezer);

    /// <summary>Takes the probed features; services join the v1 freezer when only it can hold them still for a kill.</summary>
    internal void Adopt(KernelFeatures features)
    {
        Features = features;
        if (!features.Has(KernelFeature.CgroupKill) && !features.Has(KernelFeature.CgroupFreeze) && features.Has(KernelFeature.V1Freezer) &&
            V1FreezerMaster is { } freezer)
        {
            _v1Masters[CgroupController.Freezer] = freezer;
        }
    }

    /// <summary>How a stop kills what is left, for the boot log.</summary>
    public string KillMethod =>
        Features.Has(KernelFeature.CgroupKill) ? "through cgroup.kill"
        : Features.Has(KernelFeature.CgroupFreeze) ? "by freezing it (cgroup.freeze) and sending SIGKILL to each process"
        : UsesV1Freezer ? "by freezing it (the v1 freezer) and sending SIGKILL to each process"
        : "by sending SIGKILL to each process until it is empty (no freezer on this host: a fast-forking service may take a few rounds)";

    /// <summary>The cgroup2 directory the master group is created in.</summary>
    public string V2Root { get; }

    /// <summary>The master group on the cgroup2 hierarchy.</summary>
    public string Master { get; }

    public IReadOnlyDictionary<CgroupController, LimitBackendKind> Backends { get; }

    /// <summary>The master group of each controller that goes through a v1 hierarchy.</summary>
    public IReadOnlyDictionary<CgroupController, string> V1Masters => _v1Masters;

    /// <summary>What the daemon should tell the operator at boot about the host.</summary>
    public IReadOnlyList<string> Notes { get; }

    public string ServiceGroup(string app) => Path.Combine(Master, ServicePrefix + app);

    /// <summary>The leaf the service's processes are started in; the service may create siblings of it.</summary>
    public string ServiceRunGroup(string app) => Path.Combine(ServiceGroup(app), RunLeaf);

    /// <summary>Where the exec check <paramref name="check"/> of a service runs: beside <c>run/</c>, named so a service's own groups do not collide.</summary>
    public string ServiceCheckGroup(string app, string check) => Path.Combine(ServiceGroup(app), CheckLeafPrefix + check);

    public string V1ServiceGroup(CgroupController controller, string app) =>
        Path.Combine(V1Masters[controller], ServicePrefix + app);

    public string AdminActions => Path.Combine(Master, AdminActionsGroup);

    /// <summary>The pipe holder's own group: it outlives the daemon, and no service's stop touches it.</summary>
    public string PipeHolder => Path.Combine(Master, PipeHolderGroup);

    /// <summary>Every distinct v1 master group (controllers may share a hierarchy, e.g. cpu,cpuacct).</summary>
    public IEnumerable<string> DistinctV1Masters => V1Masters.Values.Distinct(StringComparer.Ordinal);

    /// <summary>Problems with limits this host cannot apply; empty when every configured limit has a home.</summary>
    public IEnumerable<string> UnsupportedLimits(ResourceSettings resources)
    {
        if (resources.Cpu is not null && Backends[CgroupController.Cpu] == LimitBackendKind.Unavailable)
        {
            yield return "max_cpu: no cgroup hierarchy on this host offers the cpu controller";
        }

        // "No swap" (the default whenever resources are set) only matters where memory is limited at all.
        if ((resources.MemoryMax is not null || resources.SwapMax > 0) && Backends[CgroupController.Memory] == LimitBackendKind.Unavailable)
        {
            yield return "max_memory/max_swap: no cgroup hierarchy on this host offers the memory controller";
        }

        if (resources.PidsMax is not null && Backends[CgroupController.Pids] == LimitBackendKind.Unavailable)
        {
            yield return "max_pids: no cgroup hierarchy on this host offers the pids controller";
        }
    }
}
