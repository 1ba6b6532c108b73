using ProcessMaster.Core.Cgroups;

namespace ProcessMaster.Tests.Cgroups;

/// <summary>cpu.stat, io.stat and their v1 counterparts, as the kernel writes them.</summary>
public class CgroupStatsParserTests
{
    [Fact]
    public void Throttling_FromV2CpuStat()
    {
        var stat = "usage_usec 1520\nuser_usec 1000\nsystem_usec 520\nnr_periods 40\nnr_throttled 12\nthrottled_usec 812345\nnr_bursts 0\nburst_usec 0\n";
        Assert.Equal(new CpuThrottling(40, 12, TimeSpan.FromMicroseconds(812345)), CgroupStatsParser.Throttling(stat));
    }

    [Fact]
    public void Throttling_FromV1CpuStat_InNanoseconds()
    {
        Assert.Equal(new CpuThrottling(7, 3, TimeSpan.FromMilliseconds(1.5)),
            CgroupStatsParser.Throttling("nr_periods 7\nnr_throttled 3\nthrottled_time 1500000\n"));
    }

    [Fact]
    public void Throttling_IsNullWithoutTheCpuController()
    {
        // cgroup v2 keeps usage in cpu.stat even where the cpu controller is not enabled.
        Assert.Null(CgroupStatsParser.Throttling("usage_usec 1520\nuser_usec 1000\nsystem_usec 520\n"));
        Assert.Null(CgroupStatsParser.Throttling(null));
    }

    [Fact]
    public void IoStatV2_OneEntryPerDisk()
    {
        var stat = "254:0 rbytes=4096 wbytes=10485760 rios=1 wios=160 dbytes=0 dios=0\n253:0 rbytes=0 wbytes=8192 rios=0 wios=2 dbytes=0 dios=0\n";
        Assert.Equal([new IoDeviceStat("254:0", 4096, 10485760, 1, 160), new IoDeviceStat("253:0", 0, 8192, 0, 2)],
            CgroupStatsParser.IoStatV2(stat));
        Assert.Empty(CgroupStatsParser.IoStatV2(""));
    }

    [Fact]
    public void IoStatV1_JoinsBytesAndOperations_WithoutTheTotalLine()
    {
        var bytes = "254:0 Read 4096\n254:0 Write 3145728\n254:0 Sync 3149824\n254:0 Async 0\n254:0 Discard 0\n254:0 Total 3149824\n7:3 Read 0\n7:3 Write 512\nTotal 3150336\n";
        var ops = "254:0 Read 1\n254:0 Write 48\n254:0 Total 49\nTotal 49\n";
        Assert.Equal([new IoDeviceStat("254:0", 4096, 3145728, 1, 48), new IoDeviceStat("7:3", 0, 512, 0, 0)],
            CgroupStatsParser.IoStatV1(bytes, ops));
    }

    [Fact]
    public void IoMaxFromV1_WritesTheFourThrottleFilesAsIoMaxLines()
    {
        Assert.Equal(["254:0 rbps=2048 wbps=max riops=max wiops=30", "7:3 rbps=max wbps=1048576 riops=max wiops=max"],
            CgroupStatsParser.IoMaxFromV1("254:0 2048\n", "7:3 1048576\n", "", "254:0 30\n"));
        Assert.Empty(CgroupStatsParser.IoMaxFromV1(null, null, null, null));
    }

    [Fact]
    public void DevicesOfALimitFile_AreTheLeadingNumbers()
    {
        Assert.Equal(["254:0", "7:3"], IoLimitWriter.Devices("254:0 rbps=max wbps=2048 riops=max wiops=max\n7:3 100\n\ngarbage line\n"));
    }
}
