using ProcessMaster.Core.Cgroups;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Configuration.Values;

namespace ProcessMaster.Tests.Cgroups;

public class KernelFeaturesTests
{
    private static readonly CgroupSettings Defaults = new("/sys/fs/cgroup", true, "pm", null, null, CpuMax.Unlimited, null, true);

    /// <summary>RHEL 8: v1 controllers and a freezer, and the cgroup2 the daemon mounted itself.</summary>
    private const string Legacy = """
        30 25 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
        33 30 0:29 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,memory
        34 30 0:30 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,cpu,cpuacct
        35 30 0:31 / /sys/fs/cgroup/freezer rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,freezer
        50 24 0:40 / /run/processmaster/cgroup2 rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw
        """;

    private const string LegacyProcCgroup = """
        5:freezer:/
        4:memory:/system.slice/pm.service
        3:cpu,cpuacct:/system.slice/pm.service
        0::/
        """;

    [Fact]
    public void ParseDisabled_TakesCommaOrSpaceSeparatedNames_AndReportsUnknownOnes()
    {
        var disabled = KernelFeatures.ParseDisabled("cgroup.kill, cgroup.freeze psi,bogus", out var unknown);
        Assert.Equal([KernelFeature.CgroupKill, KernelFeature.CgroupFreeze, KernelFeature.Pressure], disabled.Order());
        Assert.Equal(["bogus"], unknown);
        Assert.Empty(KernelFeatures.ParseDisabled(null, out _));
    }

    [Fact]
    public void Probe_FindsFilesOfTheGroup_AndDisabledOnesAreOffEvenWherePresent()
    {
        string[] files = ["/cg/pm/cgroup.freeze", "/cg/pm/cgroup.events", "/cg/pm/cpu.pressure"];
        var features = KernelFeatures.Probe("/cg/pm", memoryOnV2: true, v1FreezerMounted: false, pidfds: true,
            new HashSet<KernelFeature> { KernelFeature.Pressure }, files.Contains);

        Assert.False(features.Has(KernelFeature.CgroupKill)); // a 5.2–5.13 kernel
        Assert.True(features.Has(KernelFeature.CgroupFreeze));
        Assert.True(features.Has(KernelFeature.CgroupEvents));
        Assert.False(features.Has(KernelFeature.Pressure));
        Assert.Contains(KernelFeature.Pressure, features.Present);
        Assert.False(features.Has(KernelFeature.MemoryPeak));

        var said = features.Describe("by freezing it", memoryOnV2: true).ToList();
        Assert.StartsWith("kernel features: cgroup.freeze, cgroup.events", said[0]);
        Assert.EndsWith("turned off by PM_DISABLE_FEATURES: psi", said[0]);
        Assert.Contains("no pressure (PSI) files: pressure is absent from perf-metrics and /metrics", said);
        Assert.Contains("no memory.peak: the memory peak is absent from perf-metrics and /metrics", said);
    }

    [Fact]
    public void Legacy_LimitsGoThroughV1_AndServicesJoinTheV1FreezerOnlyWhenCgroup2CannotKillOrFreeze()
    {
        var layout = CgroupDetector.Detect(Defaults, Legacy, LegacyProcCgroup, _ => "\n");
        Assert.Equal(PrivateCgroup2.MountPoint, layout.V2Root);
        Assert.Equal(LimitBackendKind.V1, layout.Backends[CgroupController.Memory]);
        Assert.Equal("/sys/fs/cgroup/freezer/pm", layout.V1FreezerMaster);

        layout.Adopt(KernelFeatures.All);
        Assert.False(layout.UsesV1Freezer);
        Assert.Equal("through cgroup.kill", layout.KillMethod);

        var rhel8 = KernelFeatures.Probe(layout.Master, memoryOnV2: false, v1FreezerMounted: true, pidfds: false, new HashSet<KernelFeature>(),
            path => path.EndsWith("/cgroup.events", StringComparison.Ordinal));
        layout.Adopt(rhel8);
        Assert.True(layout.UsesV1Freezer);
        Assert.Equal("/sys/fs/cgroup/freezer/pm/pm-web", layout.V1ServiceGroup(CgroupController.Freezer, "web"));
        Assert.StartsWith("by freezing it (the v1 freezer)", layout.KillMethod);
        Assert.Contains("/sys/fs/cgroup/freezer/pm/pm-web/cgroup.procs", new ServiceCgroup(layout, new LimitWriter(layout), "web").ProcsFiles);
    }

    [Fact]
    public void EnsureMounted_DoesNothingWhereACgroup2IsMounted()
    {
        Assert.Null(PrivateCgroup2.EnsureMounted(Legacy));
    }
}
