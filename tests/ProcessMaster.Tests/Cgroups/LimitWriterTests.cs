using ProcessMaster.Core.Cgroups;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Configuration.Values;
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
    public void MasterCpuLine_IsWrittenAsConfigured()
    {
        var group = Group("pm", "cpu.max", "memory.max", "memory.swap.max", "pids.max");
        var settings = new CgroupSettings("/", true, "pm", 2L << 30, null, new CpuMax(50_000, 100_000), 4096, true);
        new LimitWriter(Layout(LimitBackendKind.V2)).Apply(CgroupLimits.From(settings), group, _ => "");
        Assert.Equal("50000 100000", Read(group, "cpu.max"));
        Assert.Equal("2147483648", Read(group, "memory.max"));
        Assert.Equal("4096", Read(group, "pids.max"));
    }
}
