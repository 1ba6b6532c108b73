using ProcessMaster.Core.Cgroups;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Configuration.Values;
using ProcessMaster.Core.Supervision.Ports;
using ProcessMaster.Tests.Support;

namespace ProcessMaster.Tests.Cgroups;

/// <summary>The files limits are written to, checked against a fake cgroupfs directory.</summary>
public sealed class LimitWriterTests : IDisposable
{
    private readonly TempDirectory _fs = new();

    public void Dispose() => _fs.Dispose();

    private CgroupLayout Layout(LimitBackendKind kind) => new(
        _fs.Path, "pm",
        CgroupControllerNames.All.ToDictionary(c => c, _ => kind),
        kind == LimitBackendKind.V1 ? CgroupControllerNames.All.ToDictionary(c => c, c => Path.Combine(_fs.Path, "v1", c.Name(), "pm")) : [],
        []);

    /// <summary>A directory with the given (empty) control files, as the kernel would offer them.</summary>
    private string Group(string relative, params string[] files)
    {
        var dir = _fs.Dir(relative);
        foreach (var file in files)
        {
            File.WriteAllText(Path.Combine(dir, file), "");
        }

        return dir;
    }

    private static string Read(string dir, string file) => File.ReadAllText(Path.Combine(dir, file)).TrimEnd('\n');

    [Fact]
    public void V2_WritesCpuMemorySwapAndPids()
    {
        var group = Group("pm/pm-web", "cpu.max", "memory.max", "memory.swap.max", "pids.max");
        var warnings = new LimitWriter(Layout(LimitBackendKind.V2)).Apply(
            CgroupLimits.From(new ResourceSettings(new CpuLimit(100), 64L << 20, 0, 50)), group, _ => throw new InvalidOperationException());
        Assert.Empty(warnings);
        Assert.Equal("10000 100000", Read(group, "cpu.max"));
        Assert.Equal("67108864", Read(group, "memory.max"));
        Assert.Equal("0", Read(group, "memory.swap.max"));
        Assert.Equal("50", Read(group, "pids.max"));
    }

    [Fact]
    public void V2_UnlimitedResetsEveryFileToMax()
    {
        var group = Group("pm/pm-web", "cpu.max", "memory.max", "memory.swap.max", "pids.max");
        new LimitWriter(Layout(LimitBackendKind.V2)).Apply(CgroupLimits.From(ResourceSettings.Unlimited), group, _ => "");
        Assert.Equal("max 100000", Read(group, "cpu.max"));
        Assert.Equal("max", Read(group, "memory.max"));
        Assert.Equal("max", Read(group, "memory.swap.max"));
        Assert.Equal("max", Read(group, "pids.max"));
    }

    [Fact]
    public void V2_MissingSwapFile_IsAWarningOnlyWhenASwapLimitIsWanted()
    {
        var group = Group("pm/pm-web", "cpu.max", "memory.max", "pids.max");
        var writer = new LimitWriter(Layout(LimitBackendKind.V2));
        Assert.Contains("swap accounting is not enabled", Assert.Single(writer.Apply(CgroupLimits.From(new ResourceSettings(null, 1 << 30, 0, null)), group, _ => "")));
        Assert.Empty(writer.Apply(CgroupLimits.From(ResourceSettings.Unlimited), group, _ => ""));
    }

    [Fact]
    public void V1_WritesCfsQuotaMemoryLimitMemswAndPids()
    {
        var cpu = Group("v1/cpu/pm/pm-web", "cpu.cfs_period_us", "cpu.cfs_quota_us");
        var memory = Group("v1/memory/pm/pm-web", "memory.limit_in_bytes", "memory.memsw.limit_in_bytes");
        var pids = Group("v1/pids/pm/pm-web", "pids.max");
        var layout = Layout(LimitBackendKind.V1);
        new LimitWriter(layout).Apply(CgroupLimits.From(new ResourceSettings(new CpuLimit(1500), 1L << 30, 256L << 20, null)),
            "/nonexistent", c => layout.V1ServiceGroup(c, "web"));
        Assert.Equal("100000", Read(cpu, "cpu.cfs_period_us"));
        Assert.Equal("150000", Read(cpu, "cpu.cfs_quota_us"));
        Assert.Equal("1073741824", Read(memory, "memory.limit_in_bytes"));
        Assert.Equal((1073741824L + 268435456).ToString(), Read(memory, "memory.memsw.limit_in_bytes"));
        Assert.Equal("max", Read(pids, "pids.max"));
    }

    [Fact]
    public void V1_UnlimitedWritesMinusOne()
    {
        var cpu = Group("v1/cpu/pm/pm-web", "cpu.cfs_period_us", "cpu.cfs_quota_us");
        var memory = Group("v1/memory/pm/pm-web", "memory.limit_in_bytes", "memory.memsw.limit_in_bytes");
        Group("v1/pids/pm/pm-web", "pids.max");
        var layout = Layout(LimitBackendKind.V1);
        new LimitWriter(layout).Apply(CgroupLimits.From(ResourceSettings.Unlimited), "/nonexistent", c => layout.V1ServiceGroup(c, "web"));
        Assert.Equal("-1", Read(cpu, "cpu.cfs_quota_us"));
        Assert.Equal("-1", Read(memory, "memory.limit_in_bytes"));
        Assert.Equal("-1", Read(memory, "memory.memsw.limit_in_bytes"));
    }

    [Fact]
    public void V1_SwapWithoutMemoryLimit_IsAWarning()
    {
        Group("v1/cpu/pm/pm-web", "cpu.cfs_period_us", "cpu.cfs_quota_us");
        Group("v1/memory/pm/pm-web", "memory.limit_in_bytes", "memory.memsw.limit_in_bytes");
        Group("v1/pids/pm/pm-web", "pids.max");
        var layout = Layout(LimitBackendKind.V1);
        var warnings = new LimitWriter(layout).Apply(CgroupLimits.From(new ResourceSettings(null, null, 0, null)), "/x", c => layout.V1ServiceGroup(c, "web"));
        Assert.Contains("needs a memory limit", Assert.Single(warnings));
    }

    [Fact]
    public void AResourcesSectionWithoutMaxSwap_WarnsOfNoSwapLimitWhereNoneCanBeEnforced()
    {
        // resources: {max_pids: 64}: max_swap is the section's default (none), not asked for.
        var errors = new ConfigErrorCollector();
        var context = new ServiceParseContext("/tmp/web.yaml", "web", null, Core.Processes.SystemUserDatabase.Instance, EnvironmentValue.ReadFile, TimeZoneInfo.Utc);
        var pidsOnly = ServiceDefinitionParser.Parse("process:\n  working_directory: /tmp\n  start_command: [x]\nresources:\n  max_pids: 64\n",
            context, errors)!.Resources;
        Assert.Empty(errors.Errors);
        Assert.True(pidsOnly.SwapDefaulted);
        Assert.Equal(0, pidsOnly.SwapMax);

        Group("v1/cpu/pm/pm-web", "cpu.cfs_period_us", "cpu.cfs_quota_us");
        var memory = Group("v1/memory/pm/pm-web", "memory.limit_in_bytes");
        Group("v1/pids/pm/pm-web", "pids.max");
        var layout = Layout(LimitBackendKind.V1);
        Assert.Empty(new LimitWriter(layout).Apply(CgroupLimits.From(pidsOnly), "/x", c => layout.V1ServiceGroup(c, "web")));
        File.WriteAllText(Path.Combine(memory, "memory.memsw.limit_in_bytes"), "");
        Assert.Empty(new LimitWriter(layout).Apply(CgroupLimits.From(pidsOnly), "/x", c => layout.V1ServiceGroup(c, "web")));

        var v2 = Group("pm/pm-web", "cpu.max", "memory.max", "pids.max"); // no memory.swap.max: no swap accounting
        Assert.Empty(new LimitWriter(Layout(LimitBackendKind.V2)).Apply(CgroupLimits.From(pidsOnly), v2, _ => ""));
    }

    [Fact]
    public void MasterCpuLine_IsWrittenAsConfigured()
    {
        var group = Group("pm", "cpu.max", "memory.max", "memory.swap.max", "pids.max");
        var settings = new CgroupSettings("/", true, "pm", 2L << 30, null, new CpuMax(50_000, 100_000), 4096, true);
        new LimitWriter(Layout(LimitBackendKind.V2)).Apply(CgroupLimits.From(settings), group, _ => "");
        Assert.Equal("50000 100000", Read(group, "cpu.max"));
        Assert.Equal("2147483648", Read(group, "memory.max"));
        Assert.Equal("4096", Read(group, "pids.max"));
    }

    private static readonly Func<string, BlockDevice> Disks = device => device switch
    {
        "/dev/vda" or "254:0" => new BlockDevice("254:0", "vda", null),
        "/dev/vda1" => new BlockDevice("254:0", "vda", "io_bandwidth device /dev/vda1 is the partition vda1; the kernel limits whole disks, so the limit applies to vda (254:0)"),
        _ => throw new CgroupException($"io_bandwidth device {device} does not exist"),
    };

    private string V2Group(string relative, params string[] ioFiles) =>
        Group(relative, ["cpu.max", "memory.max", "memory.swap.max", "pids.max", .. ioFiles]);

    private void V1LimitGroups()
    {
        Group("v1/cpu/pm/pm-web", "cpu.cfs_period_us", "cpu.cfs_quota_us");
        Group("v1/memory/pm/pm-web", "memory.limit_in_bytes");
        Group("v1/pids/pm/pm-web", "pids.max");
    }

    private static CgroupLimits Io(int? weight, params IoBandwidthLimit[] bandwidth) =>
        CgroupLimits.From(new ResourceSettings(null, null, null, null, weight, bandwidth));

    [Fact]
    public void V2_WritesIoWeightToBothSchedulersFiles_AndOneIoMaxLinePerDisk()
    {
        var group = V2Group("pm/pm-web", "io.weight", "io.bfq.weight", "io.max");
        var warnings = new LimitWriter(Layout(LimitBackendKind.V2), Disks).Apply(
            Io(5000, new IoBandwidthLimit("/dev/vda", null, 5L << 20, 5000, null)), group, _ => "");
        Assert.Empty(warnings);
        Assert.Equal("default 5000", Read(group, "io.weight"));
        Assert.Equal("1000", Read(group, "io.bfq.weight")); // BFQ's ceiling
        Assert.Equal("254:0 rbps=max wbps=5242880 riops=5000 wiops=max", Read(group, "io.max"));
    }

    [Fact]
    public void V2_NoIoSettings_ResetsTheWeight_AndLiftsTheCeilingsOfDisksNoLongerConfigured()
    {
        var group = V2Group("pm/pm-web", "io.weight", "io.max");
        File.WriteAllText(Path.Combine(group, "io.max"), "254:0 rbps=max wbps=max riops=max wiops=10\n");
        Assert.Empty(new LimitWriter(Layout(LimitBackendKind.V2), Disks).Apply(CgroupLimits.From(ResourceSettings.Unlimited), group, _ => ""));
        Assert.Equal("default 100", Read(group, "io.weight"));
        Assert.Equal("254:0 rbps=max wbps=max riops=max wiops=max", Read(group, "io.max"));
    }

    [Fact]
    public void IoLimitsTheHostCannotTake_AreWarnings_AndTheRestIsWritten()
    {
        var group = V2Group("pm/pm-web", "io.max");
        var warnings = new LimitWriter(Layout(LimitBackendKind.V2), Disks).Apply(
            Io(300, new IoBandwidthLimit("/dev/sdz", 2048, null, null, null), new IoBandwidthLimit("/dev/vda1", null, null, 10, null),
                new IoBandwidthLimit("254:0", 4096, null, null, null)), group, _ => "");
        Assert.Equal([
            "io_weight cannot be applied: this kernel offers no I/O weights here (they need the bfq I/O scheduler, or blk-iocost on cgroup v2)",
            "io_bandwidth device /dev/sdz does not exist; its io_bandwidth limit is not applied",
            "io_bandwidth device /dev/vda1 is the partition vda1; the kernel limits whole disks, so the limit applies to vda (254:0)",
            "io_bandwidth devices /dev/vda1 and 254:0 are the same disk vda; only the entry for /dev/vda1 applies",
        ], warnings);
        Assert.Equal("254:0 rbps=max wbps=max riops=10 wiops=max", Read(group, "io.max"));

        var noThrottle = V2Group("pm/pm-db");
        Assert.Equal(["io_bandwidth cannot be enforced: this kernel has no io.max (blk-throttle is not built in)"],
            new LimitWriter(Layout(LimitBackendKind.V2), Disks).Apply(Io(null, new IoBandwidthLimit("/dev/vda", 2048, null, null, null)), noThrottle, _ => ""));
        Assert.Equal(["io_weight/io_bandwidth cannot be applied: no cgroup hierarchy on this host offers the io (blkio) controller"],
            new LimitWriter(Layout(LimitBackendKind.Unavailable), Disks).Apply(Io(200), noThrottle, _ => ""));
    }

    [Fact]
    public void V1_WritesBfqWeightAndOneThrottleFilePerRate()
    {
        var files = new[] { "blkio.bfq.weight", "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
            "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device" };
        var io = Group("v1/io/pm/pm-web", files);
        V1LimitGroups();
        File.WriteAllText(Path.Combine(io, "blkio.throttle.read_iops_device"), "254:0 7\n");
        var layout = Layout(LimitBackendKind.V1);
        Assert.Empty(new LimitWriter(layout, Disks).Apply(Io(250, new IoBandwidthLimit("/dev/vda", 1L << 20, 2L << 20, null, 90)),
            "/nonexistent", c => layout.V1ServiceGroup(c, "web")));
        Assert.Equal("250", Read(io, "blkio.bfq.weight"));
        Assert.Equal("254:0 1048576", Read(io, "blkio.throttle.read_bps_device"));
        Assert.Equal("254:0 2097152", Read(io, "blkio.throttle.write_bps_device"));
        Assert.Equal("254:0 0", Read(io, "blkio.throttle.read_iops_device")); // a rule no longer configured: 0 removes it
        Assert.Equal("254:0 90", Read(io, "blkio.throttle.write_iops_device"));
    }

    [Fact]
    public void V1_CfqWeight_IsOnItsOwnScale()
    {
        var io = Group("v1/io/pm/pm-web", "blkio.weight");
        V1LimitGroups();
        var layout = Layout(LimitBackendKind.V1);
        var writer = new LimitWriter(layout, Disks);
        writer.Apply(Io(100), "/nonexistent", c => layout.V1ServiceGroup(c, "web"));
        Assert.Equal("500", Read(io, "blkio.weight"));
        writer.Apply(Io(1), "/nonexistent", c => layout.V1ServiceGroup(c, "web"));
        Assert.Equal("10", Read(io, "blkio.weight"));
    }
}
