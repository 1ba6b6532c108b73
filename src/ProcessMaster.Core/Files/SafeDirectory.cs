using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using ProcessMaster.Core.Interop;

namespace ProcessMaster.Core.Files;

/// <summary>
/// A directory held open by descriptor, through which the root daemon reaches files in directories a
/// service's user can write (working and log directories): every open, create, rename, unlink and listing
/// is relative to the descriptor, never follows a symlink, never blocks (O_NONBLOCK, so a FIFO cannot hang
/// the caller), and a file is used only once fstat showed a regular file with one link, owned as expected.
/// The directory itself is reached by <see cref="Open"/> without untrusted symlinks in any component.
/// </summary>
internal sealed partial class SafeDirectory : IDisposable
{
    private const int OpenFlags = Libc.O_NOFOLLOW | Libc.O_NONBLOCK | Libc.O_CLOEXEC | Libc.O_NOCTTY;

    private readonly SafeFileHandle _handle;

    private SafeDirectory(int fd, string path)
    {
        _handle = new SafeFileHandle(fd, ownsHandle: true);
        Path = path;
    }

    /// <summary>The path the directory was opened by, for messages.</summary>
    public string Path { get; }

    /// <summary>A path naming exactly this directory, whatever happens to its name (for inotify).</summary>
    public string DescriptorPath => $"/proc/self/fd/{Fd}";

    private int Fd => (int)_handle.DangerousGetHandle();

    /// <summary>Opens (creating with <paramref name="mode"/> when asked) a file for appending and reading its end.</summary>
    public SafeFileHandle OpenForAppend(string name, int mode, FileOwners owners) =>
        OpenChecked(name, Libc.O_RDWR | Libc.O_APPEND | Libc.O_CREAT, mode, owners);

    public SafeFileHandle OpenForReading(string name, FileOwners owners) => OpenChecked(name, Libc.O_RDONLY, 0, owners);

    /// <summary>Creates a new file with exactly <paramref name="mode"/> (O_EXCL: no symlink or earlier file is ever reused).</summary>
    public SafeFileHandle CreateNew(string name, int mode)
    {
        var handle = OpenChecked(name, Libc.O_WRONLY | Libc.O_CREAT | Libc.O_EXCL, mode, FileOwners.RootOnly);
        Libc.FChmod((int)handle.DangerousGetHandle(), mode); // not narrowed by the umask
        return handle;
    }

    /// <summary>What <paramref name="name"/> is (a symlink is reported as one, not followed); null when absent.</summary>
    public Libc.Statx? Stat(string name)
    {
        CheckName(name);
        return Libc.StatxPath(Fd, name, Libc.AT_SYMLINK_NOFOLLOW, Libc.STATX_BASIC_STATS, out var st) == 0 ? st : null;
    }

    /// <summary>Renames within this directory; an existing <paramref name="to"/> is replaced (a symlink by that name too, never its target).</summary>
    public void Rename(string from, string to)
    {
        CheckName(from);
        CheckName(to);
        if (Libc.RenameAt(Fd, from, Fd, to) < 0)
        {
            throw Failure($"cannot rename {from} to {to}");
        }
    }

    /// <summary>Removes a name (a symlink itself, never its target); false when it did not exist.</summary>
    public bool Delete(string name)
    {
        CheckName(name);
        if (Libc.UnlinkAt(Fd, name, 0) == 0)
        {
            return true;
        }

        return Marshal.GetLastPInvokeError() == Libc.ENOENT ? false : throw Failure($"cannot remove {name}");
    }

    /// <summary>Changes the owner of <paramref name="name"/> itself (a symlink's own owner, never its target's).</summary>
    public void ChangeOwner(string name, uint uid, uint gid)
    {
        CheckName(name);
        if (Libc.FChownAt(Fd, name, uid, gid, Libc.AT_SYMLINK_NOFOLLOW) < 0)
        {
            throw Failure($"cannot change the owner of {name}");
        }
    }

    /// <summary>
    /// Opens <paramref name="name"/> whatever it is (except a symlink, refused), without blocking, to change
    /// its mode or attributes through the descriptor.
    /// </summary>
    public SafeFileHandle OpenForAttributes(string name)
    {
        CheckName(name);
        var fd = Libc.OpenAt(Fd, name, Libc.O_RDONLY | OpenFlags, 0);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw errno == Libc.ELOOP
                ? new UnsafeFileException($"{Join(Path, name)}: is a symbolic link (refused)")
                : new IOException($"{Join(Path, name)}: {Linux.ErrorText(errno)}", errno);
        }

        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>Opens a subdirectory without following a symlink, creating it when asked.</summary>
    public SafeDirectory OpenDirectory(string name, bool create = false)
    {
        CheckName(name);
        for (var attempt = 0; ; attempt++)
        {
            var fd = Libc.OpenAt(Fd, name, DirectoryFlags, 0);
            if (fd >= 0)
            {
                return new SafeDirectory(fd, Join(Path, name));
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno == Libc.ENOENT && create && attempt < 3 && (Libc.MkdirAt(Fd, name, NewDirectoryMode) == 0 || Marshal.GetLastPInvokeError() == Libc.EEXIST))
            {
                continue;
            }

            throw ComponentFailure(Fd, name, Join(Path, name), errno);
        }
    }

    /// <summary>Another descriptor of the same directory, for work that outlives this one (a background job).</summary>
    public SafeDirectory Duplicate()
    {
        var fd = Linux.Fcntl(Fd, Linux.F_DUPFD_CLOEXEC, 0);
        return fd >= 0 ? new SafeDirectory(fd, Path) : throw Failure("cannot duplicate the directory descriptor");
    }

    public void Dispose() => _handle.Dispose();

    private SafeFileHandle OpenChecked(string name, int flags, int mode, FileOwners owners)
    {
        CheckName(name);
        var fd = Libc.OpenAt(Fd, name, flags | OpenFlags, mode);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw errno == Libc.ELOOP
                ? new UnsafeFileException($"{Join(Path, name)}: is a symbolic link (refused: the daemon never follows links in a service's directories)")
                : new IOException($"{Join(Path, name)}: {Linux.ErrorText(errno)}", errno);
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (CheckFile(fd, owners) is { } problem)
        {
            handle.Dispose();
            throw new UnsafeFileException($"{Join(Path, name)}: {problem}");
        }

        return handle;
    }

    /// <summary>Why an open file must not be used, or null: only a regular file with one link and an expected owner is.</summary>
    internal static string? CheckFile(int fd, FileOwners owners)
    {
        if (StatFd(fd) is not { } st)
        {
            return $"cannot stat: {Linux.LastErrorText()}";
        }

        if ((st.Mode & Libc.S_IFMT) != Libc.S_IFREG)
        {
            return $"is {Describe(st.Mode)}, not a regular file (refused)";
        }

        if (st.Links != 1)
        {
            return $"has {st.Links} hard links (refused: it may be another file's name)";
        }

        return owners.Allows(st.Uid) ? null : $"is owned by uid {st.Uid}, not by {owners} (refused)";
    }

    internal static Libc.Statx? StatFd(int fd) => PosixFile.StatFd(fd);

    private static string Describe(int mode) => (mode & Libc.S_IFMT) switch
    {
        Libc.S_IFIFO => "a FIFO",
        Libc.S_IFDIR => "a directory",
        Libc.S_IFLNK => "a symbolic link",
        Libc.S_IFCHR => "a character device",
        Libc.S_IFBLK => "a block device",
        Libc.S_IFSOCK => "a socket",
        _ => "a special file",
    };

    private static void CheckName(string name)
    {
        if (name.Length == 0 || name is "." or ".." || name.Contains('/') || name.Contains('\0'))
        {
            throw new ArgumentException($"'{name}' is not a single file name", nameof(name));
        }
    }

    private IOException Failure(string what)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new IOException($"{Path}: {what}: {Linux.ErrorText(errno)}", errno);
    }

    private static string Join(string directory, string name) => directory.EndsWith('/') ? directory + name : $"{directory}/{name}";
}

/// <summary>Who may own a file the daemon opens in a service's directory: root (the daemon made it) or the service's user.</summary>
public readonly record struct FileOwners(uint ServiceUid)
{
    public static FileOwners RootOnly => new(0);

    public bool Allows(uint uid) => uid == 0 || uid == ServiceUid;

    public override string ToString() => ServiceUid == 0 ? "root" : $"root or uid {ServiceUid}";
}

/// <summary>A file or directory was refused because a service's user could have put it there (a symlink, a FIFO, a hard link).</summary>
public sealed class UnsafeFileException(string message) : IOException(message);
