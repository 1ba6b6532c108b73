using System.Globalization;
using System.Runtime.InteropServices;

namespace ProcessMaster.Shared;

/// <summary>
/// Marks every descriptor above stderr close-on-exec but the ones named: whoever started the daemon (a
/// shell's <c>7&lt;/root/secret</c>, a parent that leaked one) must not hand its files to the services. Used by
/// the daemon at start and by <c>processmaster-exec</c> before it executes any command. Compiled into both.
/// </summary>
internal static partial class CloseOnExec
{
    private const int SysCloseRange = 436; // the same number on every architecture .NET runs on
    private const uint CloseRangeCloexec = 4;
    private const int F_SETFD = 2;
    private const int FD_CLOEXEC = 1;

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long CloseRange(long number, uint first, uint last, uint flags);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);

    /// <summary>Every descriptor from 3 up, except <paramref name="keep"/>, is closed by the next exec.</summary>
    public static void AllAbove2Except(IReadOnlyCollection<int> keep)
    {
        var next = 3u;
        foreach (var kept in keep.Where(fd => fd >= 3).Order().Distinct())
        {
            if (!Mark(next, (uint)kept - 1))
            {
                ByProc(keep);
                return;
            }

            next = (uint)kept + 1;
        }

        if (!Mark(next, uint.MaxValue))
        {
            ByProc(keep);
        }
    }

    /// <summary>close_range(2) with CLOSE_RANGE_CLOEXEC (Linux 5.11); false where the kernel lacks it.</summary>
    private static bool Mark(uint first, uint last) => first > last || CloseRange(SysCloseRange, first, last, CloseRangeCloexec) == 0;

    /// <summary>Older kernels: one fcntl per open descriptor, as /proc lists them.</summary>
    internal static void ByProc(IReadOnlyCollection<int> keep)
    {
        foreach (var entry in Directory.GetFiles("/proc/self/fd"))
        {
            if (int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var fd) && fd > 2 && !keep.Contains(fd))
            {
                Fcntl(fd, F_SETFD, FD_CLOEXEC);
            }
        }
    }
}
