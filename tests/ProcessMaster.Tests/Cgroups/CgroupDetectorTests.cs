using ProcessMaster.Core.Cgroups;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Configuration.Values;
using ProcessMaster.Core.Supervision.Ports;

namespace ProcessMaster.Tests.Cgroups;

public class CgroupDetectorTests
{
    private static readonly CgroupSettings Defaults = new("/sys/fs/cgroup", true, "pm", null, null, CpuMax.Unlimited, null, true);

    private const string PureV2 = """
        22 1 0:21 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
        25 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
        """;

    private const string Hybrid = """
        30 25 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
        31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw
        33 30 0:29 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,memory
        34 30 0:30 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,cpu,cpuacct
        35 30 0:31 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,pids
        36 30 0:32 / /sys/fs/cgroup/blkio rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,blkio
        """;

    private const string HybridProcCgroup = """
        8:blkio:/system.slice/pm.service
        7:pids:/system.slice/pm.service
        4:memory:/system.slice/pm.service
        3:cpu,cpuacct:/system.slice/pm.service
        0::/system.slice/pm.service
        """;

    [Fact]
    public void PureV2_UsesV2ForEveryControllerItOffers()
    {
        var layout = CgroupDetector.Detect(Defaults, PureV2, "0::/system.slice/pm.service\n",
            path => path == "/sys/fs/cgroup/cgroup.controllers" ? "cpuset cpu io memory hugetlb pids rdma misc\n" : null);
        Assert.Equal("/sys/fs/cgroup", layout.V2Root);
        Assert.Equal("/sys/fs/cgroup/pm", layout.Master);
        Assert.All(CgroupControllerNames.All, c => Assert.Equal(LimitBackendKind.V2, layout.Backends[c]));
        Assert.Empty(layout.V1Masters);
        Assert.Equal("/sys/fs/cgroup/pm/pm-web/run", layout.ServiceRunGroup("web"));
        Assert.Equal("/sys/fs/cgroup/pm/admin_actions", layout.AdminActions);
    }

    [Fact]
    public void Hybrid_FindsUnifiedAndPutsLimitsUnderTheDaemonsOwnV1Groups()
    {
        var layout = CgroupDetector.Detect(Defaults, Hybrid, HybridProcCgroup,
            path => path == "/sys/fs/cgroup/unified/cgroup.controllers" ? "\n" : null);
        Assert.Equal("/sys/fs/cgroup/unified", layout.V2Root);
        Assert.Contains(layout.Notes, n => n.Contains("using the cgroup2 hierarchy at /sys/fs/cgroup/unified"));
        Assert.All(CgroupControllerNames.All, c => Assert.Equal(LimitBackendKind.V1, layout.Backends[c]));
        Assert.Equal("/sys/fs/cgroup/memory/system.slice/pm.service/pm", layout.V1Masters[CgroupController.Memory]);
        Assert.Equal("/sys/fs/cgroup/cpu,cpuacct/system.slice/pm.service/pm", layout.V1Masters[CgroupController.Cpu]);
        Assert.Equal("/sys/fs/cgroup/pids/system.slice/pm.service/pm/pm-web", layout.V1ServiceGroup(CgroupController.Pids, "web"));
        // I/O is "blkio" on v1.
        Assert.Equal("/sys/fs/cgroup/blkio/system.slice/pm.service/pm/pm-web", layout.V1ServiceGroup(CgroupController.Io, "web"));
        Assert.Contains(layout.Notes, n => n == "io limits go through the cgroup v1 hierarchy at /sys/fs/cgroup/blkio (not offered by cgroup v2 here)");
    }

    [Fact]
    public void MissingController_IsUnavailable_AndLimitsNeedingItAreReported()
    {
        var layout = CgroupDetector.Detect(Defaults, PureV2, "0::/\n", _ => "cpu memory\n");
        Assert.Equal(LimitBackendKind.Unavailable, layout.Backends[CgroupController.Pids]);
        Assert.Single(layout.UnsupportedLimits(new ResourceSettings(null, null, null, 100)));
        Assert.Empty(layout.UnsupportedLimits(new ResourceSettings(null, 1 << 20, 0, null)));

        var noMemory = CgroupDetector.Detect(Defaults, PureV2, "0::/\n", _ => "cpu pids\n");
        Assert.Empty(noMemory.UnsupportedLimits(new ResourceSettings(new(200), null, 0, 20))); // the implicit "no swap" is not a requirement
        Assert.Single(noMemory.UnsupportedLimits(new ResourceSettings(null, 1 << 20, 0, null)));
    }

    [Fact]
    public void NoCgroup2_IsAClearError()
    {
        var e = Assert.Throws<CgroupException>(() => CgroupDetector.Detect(Defaults, "25 1 8:1 / / rw - ext4 /dev/sda1 rw\n", "", _ => null));
        Assert.Contains("no cgroup2 file system is mounted", e.Message);
    }

    [Fact]
    public void ExplicitRootOffCgroup2_IsAClearError()
    {
        var explicitRoot = Defaults with { Root = "/sys/fs/cgroup/memory", RootIsDefault = false };
        var e = Assert.Throws<CgroupException>(() => CgroupDetector.Detect(explicitRoot, Hybrid, HybridProcCgroup, _ => null));
        Assert.Contains("is not on a cgroup2 file system", e.Message);
    }

    [Fact]
    public void MountInfo_UnescapesSpacesInMountPoints()
    {
        var mounts = MountTable.ParseMountInfo(@"40 1 0:40 / /mnt/with\040space rw - cgroup2 none rw" + "\n");
        Assert.Equal("/mnt/with space", Assert.Single(mounts).MountPoint);
    }
}
