using ProcessMaster.Core.Cgroups;
using ProcessMaster.Tests.Support;

namespace ProcessMaster.Tests.Cgroups;

public class CgroupDirectoryTests
{
    [Fact]
    public void ReadsFilesRelativeToTheGroup_AndFollowsAGroupCreatedAgain()
    {
        using var root = new TempDirectory();
        var group = root.Dir("pm-web");
        File.WriteAllText(Path.Combine(group, "memory.current"), "4096\n");
        using var directory = new CgroupDirectory(group);

        Assert.Equal(4096, CgroupFs.ReadNumber(directory, "memory.current"));

        Directory.Delete(group, recursive: true);
        Assert.Null(CgroupFs.ReadNumber(directory, "memory.current"));

        Directory.CreateDirectory(group);
        File.WriteAllText(Path.Combine(group, "memory.current"), "8192\n");
        Assert.Equal(8192, CgroupFs.ReadNumber(directory, "memory.current"));
    }

    [Fact]
    public void ReadsPidsOfANestedFile_AndStillReadsAfterDispose()
    {
        using var root = new TempDirectory();
        root.File("pm-web/run/cgroup.procs", "12\n345\n");
        var directory = new CgroupDirectory(Path.Combine(root.Path, "pm-web"));
        var pids = new List<int>();

        Assert.True(CgroupFs.ReadPids(directory, "run/cgroup.procs", pids));
        directory.Dispose();
        Assert.True(CgroupFs.ReadPids(directory, "run/cgroup.procs", pids));
        Assert.Equal([12, 345, 12, 345], pids);
    }

    [Fact]
    public void ReadsPressureTotals_OfBothLevels_OrOnlySomeOnKernelsWithoutFull()
    {
        using var root = new TempDirectory();
        root.File("pm-web/memory.pressure", "some avg10=0.50 avg60=0.10 avg300=0.00 total=123456\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=789\n");
        root.File("pm-web/cpu.pressure", "some avg10=0.00 avg60=0.00 avg300=0.00 total=42\n");
        using var directory = new CgroupDirectory(Path.Combine(root.Path, "pm-web"));

        Assert.Equal(new PressureStat(new PressureLevel(0.5, 0.1, 0, 123456), new PressureLevel(0, 0, 0, 789)), CgroupFs.ReadPressure(directory, "memory.pressure"));
        Assert.Equal(new PressureStat(new PressureLevel(0, 0, 0, 42), null), CgroupFs.ReadPressure(directory, "cpu.pressure"));
        Assert.Null(CgroupFs.ReadPressure(directory, "io.pressure"));
    }

    [Theory]
    [InlineData("some avg10=1.25 avg60=x avg300=0.75 total=9\n", 1.25, 0, 0.75, 9)]
    [InlineData("some total=18446744073709551616 avg10=2\n", 2, 0, 0, 0)] // a total past long: 0, not an exception
    [InlineData("some \n", 0, 0, 0, 0)]
    [InlineData("some avg10==1 =2 avg60=3\nsomething else\n", 0, 3, 0, 0)]
    public void APressureLineThatIsMalformed_ReadsAsZeros_NeverThrows(string text, double avg10, double avg60, double avg300, long total)
    {
        Assert.Equal(new PressureLevel(avg10, avg60, avg300, total), PressureStat.Parse(System.Text.Encoding.ASCII.GetBytes(text)).Some);
    }

    [Fact]
    public void CpuStat_OnAHybridHost_AddsTheV1ControllersThrottlingUnderTheV2Names()
    {
        var counters = CgroupStatsParser.CpuStat("usage_usec 100\nuser_usec 60\nsystem_usec 40\n", "nr_periods 10\nnr_throttled 3\nthrottled_time 5000000\n");
        Assert.Equal(new Dictionary<string, long>
        {
            ["usage_usec"] = 100, ["user_usec"] = 60, ["system_usec"] = 40, ["nr_periods"] = 10, ["nr_throttled"] = 3, ["throttled_usec"] = 5000,
        }, counters);
        Assert.Equal(["usage_usec"], CgroupStatsParser.CpuStat("usage_usec 1\n", null).Keys);
    }

    [Fact]
    public void ReadsFilesLargerThanTheReadBuffer_Whole()
    {
        // A pid list of 20000 processes (over 100 KB): neither cut at the thread's page-sized buffer nor at
        // the 64 KiB an earlier version stopped at; the next small read still sees only its own file.
        using var root = new TempDirectory();
        var expected = Enumerable.Range(100000, 20000).ToList();
        root.File("pm-web/run/cgroup.procs", string.Concat(expected.Select(pid => $"{pid}\n")));
        root.File("pm-web/memory.stat", string.Concat(Enumerable.Range(0, 800).Select(i => $"key{i} {i}\n")) + "last 7\n");
        root.File("pm-web/memory.current", "4096\n");
        using var directory = new CgroupDirectory(Path.Combine(root.Path, "pm-web"));
        var pids = new List<int>();

        Assert.True(CgroupFs.ReadPids(directory, "run/cgroup.procs", pids));
        Assert.Equal(expected, pids);
        Assert.Equal(7, CgroupFs.ReadKeyedNumber(directory, "memory.stat", "last "u8));
        Assert.Equal(4096, CgroupFs.ReadNumber(directory, "memory.current"));
        Assert.Equal("4096\n", CgroupFs.Read(directory, "memory.current"));
    }
}
