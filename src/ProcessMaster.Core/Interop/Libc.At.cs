using System.Runtime.InteropServices;

namespace ProcessMaster.Core.Interop;

/// <summary>The directory-relative (<c>*at</c>) calls through which files in untrusted directories are reached.</summary>
internal static unsafe partial class Libc
{
    public const int EEXIST = 17;
    public const int ENOTDIR = 20;
    public const int EINVAL = 22;
    public const int ENOSYS = 38;
    public const int E2BIG = 7;
    public const int EPERM = 1;
    public const int EXDEV = 18;
    public const int ENXIO = 6;

    public const int AT_REMOVEDIR = 0x200;

    public const int S_IFIFO = 0x1000;
    public const int S_IFCHR = 0x2000;
    public const int S_IFBLK = 0x6000;
    public const int S_IFSOCK = 0xC000;

    private const long SYS_getdents64 = 217;
    private const long SYS_openat2 = 437;

    public const ulong RESOLVE_NO_MAGICLINKS = 0x02;
    public const ulong RESOLVE_NO_SYMLINKS = 0x04;

    [StructLayout(LayoutKind.Sequential)]
    public struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    [LibraryImport(Lib, EntryPoint = "mkdirat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int MkdirAt(int dirfd, string path, int mode);

    [LibraryImport(Lib, EntryPoint = "renameat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int RenameAt(int oldDirfd, string oldPath, int newDirfd, string newPath);

    [LibraryImport(Lib, EntryPoint = "unlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int UnlinkAt(int dirfd, string path, int flags);

    [LibraryImport(Lib, EntryPoint = "readlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint ReadlinkAt(int dirfd, string path, byte* buffer, nint size);

    [LibraryImport(Lib, EntryPoint = "fchownat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int FChownAt(int dirfd, string path, uint owner, uint group, int flags);

    [LibraryImport(Lib, EntryPoint = "fsetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int FSetXattr(int fd, string name, byte* value, nint size, int flags);

    [LibraryImport(Lib, EntryPoint = "fgetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint FGetXattr(int fd, string name, byte* value, nint size);

    [LibraryImport(Lib, EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial long SyscallOpenAt2(long number, int dirfd, string path, OpenHow* how, nuint size);

    [LibraryImport(Lib, EntryPoint = "syscall", SetLastError = true)]
    private static partial long SyscallGetdents(long number, int fd, byte* buffer, nuint count);

    /// <summary>openat2(2) (Linux 5.6): -1 with ENOSYS on older kernels.</summary>
    public static int OpenAt2(int dirfd, string path, int flags, ulong resolve)
    {
        var how = new OpenHow { Flags = (ulong)(uint)flags, Mode = 0, Resolve = resolve };
        return (int)SyscallOpenAt2(SYS_openat2, dirfd, path, &how, (nuint)sizeof(OpenHow));
    }

    public static int GetDents64(int fd, byte* buffer, int count) => (int)SyscallGetdents(SYS_getdents64, fd, buffer, (nuint)count);
}
