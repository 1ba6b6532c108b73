using ProcessMaster.Core.Configuration.Values;
using ProcessMaster.Core.Cgroups;
using ProcessMaster.Core.Configuration;

namespace ProcessMaster.IntegrationTests.Support;

/// <summary>
/// Where a test daemon's cgroups live, and their teardown: everything is killed through cgroup.kill and
/// the groups are removed deepest first, on the v2 hierarchy and on every v1 hierarchy the daemon may have used
/// (the v1 freezer too: a daemon told that cgroup.kill and cgroup.freeze are missing puts its services there).
/// Only the test's own pmtest-* master is ever touched.
/// </summary>
public sealed class TestCgroups
{
    public TestCgroups(string name)
    {
        Name = name;
        Layout = CgroupDetector.Detect(new CgroupSettings("/sys/fs/cgroup", true, name, null, null, CpuMax.Unlimited, null, true));
    }

    public string Name { get; }

    public CgroupLayout Layout { get; }

    public string Master => Layout.Master;

    public string ServiceGroup(string app) => Layout.ServiceGroup(app);

    public List<int> Pids(string app) => CgroupFs.ReadPidsRecursive(ServiceGroup(app));

    /// <summary>The service's own processes: not those of a probe's check under way (its own leaf, the daemon's child).</summary>
    public List<int> ServicePids(string app)
    {
        // The checks' leaves are read last: a process seen in one stays there (or is gone), a check started later is in neither read.
        var all = Pids(app);
        var checks = Directory.Exists(ServiceGroup(app))
            ? Directory.GetDirectories(ServiceGroup(app), CgroupLayout.CheckLeafPrefix + "*").SelectMany(CgroupFs.ReadPidsRecursive).ToHashSet()
            : [];
        return [.. all.Where(pid => !checks.Contains(pid))];
    }

    /// <summary>Every process of the services and admin actions (the pipe holder, the daemon's own helper, aside).</summary>
    public List<int> AllPids() => CgroupFs.ReadPidsRecursive(Master).Except(CgroupFs.ReadPidsRecursive(Layout.PipeHolder)).ToList();

    public string? V1Group(CgroupController controller, string app) =>
        Layout.V1Masters.ContainsKey(controller) ? Layout.V1ServiceGroup(controller, app) : null;

    /// <summary>The test's master group on every v1 hierarchy, whether or not the daemon got to create it.</summary>
    private IEnumerable<string> V1MasterGroups =>
        Layout.DistinctV1Masters.Append(Layout.V1FreezerMaster).OfType<string>().Distinct(StringComparer.Ordinal);

    public void Teardown()
    {
        if (Directory.Exists(Master))
        {
            CgroupFs.TryWrite(Path.Combine(Master, "cgroup.kill"), "1", out _);
        }

        foreach (var v1 in V1MasterGroups.Where(Directory.Exists))
        {
            foreach (var pid in CgroupFs.ReadPidsRecursive(v1))
            {
                ProcessMaster.Core.Interop.Libc.Kill(pid, 9);
            }
        }

        // A daemon killed mid-stop may leave its freezer groups frozen; SIGKILL is only taken once thawed.
        if (Layout.V1FreezerMaster is { } freezer && Directory.Exists(freezer))
        {
            foreach (var state in Directory.EnumerateFiles(freezer, "freezer.state", SearchOption.AllDirectories))
            {
                CgroupFs.TryWrite(state, "THAWED", out _);
            }
        }

        var deadline = DateTime.UtcNow.AddSeconds(10);
        foreach (var group in V1MasterGroups.Prepend(Master))
        {
            while (Directory.Exists(group) && !CgroupFs.RemoveTree(group) && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }
        }
    }
}
