using ProcessMaster.Core.Interop;

namespace ProcessMaster.Tests.Interop;

public class ProcessInfoTests
{
    [Fact]
    public void Stat_IsReadFromTheLastParenthesis_SoACommandNameWithSpacesAndParenthesesCannotShiftTheFields()
    {
        var stat = "4242 (evil) 1 2 (x) S 17 4242 4242 0 -1 4194560 120 0 0 0 250 50 0 0 20 0 1 0 98765 10485760 321 18446744073709551615";
        Assert.Equal(("evil) 1 2 (x", 17, 300L, 98765L, 321L), ProcessInfo.ParseStat(stat));
        Assert.Null(ProcessInfo.ParseStat("4242 (no end"));
        Assert.Null(ProcessInfo.ParseStat("4242 (x) S"));
    }

    [Fact]
    public void TheRealUid_AndACommandLineWithControlCharacters_AreReadSafely()
    {
        Assert.Equal(65534u, ProcessInfo.ParseUid("Name:\tsleep\nUid:\t65534\t0\t0\t0\nGid:\t65534\t0\t0\t0\n"));
        Assert.Null(ProcessInfo.ParseUid("Name:\tsleep\n"));
        Assert.Equal("sleep 10 a?b", ProcessInfo.JoinArguments("sleep\u000010\u0000a\u001bb\u0000"));
        Assert.Equal("?[31mred", ProcessInfo.JoinArguments("\u001b[31mred"));
    }

    [Fact]
    public void TheTestProcessItself_IsReadWithItsParentAndCommand()
    {
        var self = ProcessInfo.Read(Environment.ProcessId)!;
        Assert.Equal(Environment.ProcessId, self.Pid);
        Assert.True(self.RssPages > 0 && self.CpuTicks >= 0 && self.StartTicks > 0);
        Assert.Contains("dotnet", self.Command, StringComparison.Ordinal);
        Assert.Null(ProcessInfo.Read(int.MaxValue));
    }
}
