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

        Assert.Equal((123456L, 789L), CgroupFs.ReadPressureTotals(directory, "memory.pressure"));
        Assert.Equal((42L, (long?)null), CgroupFs.ReadPressureTotals(directory, "cpu.pressure"));
        Assert.Equal(((long?)null, (long?)null), CgroupFs.ReadPressureTotals(directory, "io.pressure"));
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
