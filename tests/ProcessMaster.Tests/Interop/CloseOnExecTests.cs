using ProcessMaster.Core.Interop;
using ProcessMaster.Shared;

namespace ProcessMaster.Tests.Interop;

/// <summary>Descriptors inherited by accident are closed at the next exec; the ones named are kept (issue 41, item 2).</summary>
public class CloseOnExecTests
{
    private const int F_GETFD = 1;

    /// <summary>Two descriptors of /dev/null without close-on-exec, as a shell's <c>7&lt;file</c> leaves them.</summary>
    private static (int Leaked, int Kept) Inheritable()
    {
        var leaked = Libc.Open("/dev/null", Libc.O_RDONLY, 0);
        var kept = Libc.Open("/dev/null", Libc.O_RDONLY, 0);
        Assert.True(leaked > 2 && kept > 2);
        Assert.Equal(0, Linux.Fcntl(leaked, F_GETFD, 0));
        Assert.Equal(0, Linux.Fcntl(kept, F_GETFD, 0));
        return (leaked, kept);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EveryDescriptorAbove2_IsCloseOnExec_ButTheKeptOnes(bool byProc)
    {
        var (leaked, kept) = Inheritable();
        try
        {
            if (byProc)
            {
                CloseOnExec.ByProc([kept]); // kernels before close_range(CLOSE_RANGE_CLOEXEC)
            }
            else
            {
                CloseOnExec.AllAbove2Except([kept]);
            }

            Assert.Equal(Linux.FD_CLOEXEC, Linux.Fcntl(leaked, F_GETFD, 0));
            Assert.Equal(0, Linux.Fcntl(kept, F_GETFD, 0));
        }
        finally
        {
            Libc.Close(leaked);
            Libc.Close(kept);
        }
    }
}
