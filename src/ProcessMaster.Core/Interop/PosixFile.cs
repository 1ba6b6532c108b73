using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ProcessMaster.Core.Interop;

/// <summary>File operations .NET does not offer: non-blocking opens of trusted paths, file types from statx.</summary>
internal static unsafe class PosixFile
{
    /// <summary>Opens a file read-only and non-blocking (a fifo cannot hang us); null with the reason on failure.</summary>
    public static SafeFileHandle? OpenForReading(string path, out string error)
    {
        var fd = Libc.Open(path, Libc.O_RDONLY | Libc.O_NONBLOCK | Libc.O_CLOEXEC | Libc.O_NOCTTY, 0);
        if (fd < 0)
        {
            error = Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
            return null;
        }

        error = "";
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    public static bool IsRegularFile(SafeFileHandle file) =>
        StatFd((int)file.DangerousGetHandle()) is { } st && (st.Mode & Libc.S_IFMT) == Libc.S_IFREG;

    /// <summary>The statx of an open descriptor; null when it fails.</summary>
    public static Libc.Statx? StatFd(int fd)
    {
        byte empty = 0;
        return Libc.StatxFd(fd, &empty, Libc.AT_EMPTY_PATH, Libc.STATX_BASIC_STATS, out var st) == 0 ? st : null;
    }

    /// <summary>The statx of what a path leads to (symlinks followed); null when it does not exist.</summary>
    public static Libc.Statx? Stat(string path) =>
        Libc.StatxPath(Libc.AT_FDCWD, path, 0, Libc.STATX_BASIC_STATS, out var st) == 0 ? st : null;

    /// <summary>The statx of a path without following a final symlink; null when it does not exist.</summary>
    public static Libc.Statx? LStat(string path) =>
        Libc.StatxPath(Libc.AT_FDCWD, path, Libc.AT_SYMLINK_NOFOLLOW, Libc.STATX_BASIC_STATS, out var st) == 0 ? st : null;
}
