using System.Runtime.InteropServices;
using System.Text;
using ProcessMaster.Core.Interop;

namespace ProcessMaster.Core.Files;

/// <summary>Reaching a directory by path without a symlink a non-root user could have placed in any component.</summary>
internal sealed partial class SafeDirectory
{
    private const int DirectoryFlags = Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC;
    private const int NewDirectoryMode = 0x1ED; // 0755
    private const int MaxLinks = 40;

    /// <summary>
    /// Opens the directory at the absolute <paramref name="path"/> (creating missing components, mode 0755,
    /// when <paramref name="create"/>). No component may be a symlink, except one that only root could have
    /// made: owned by root, in a root-owned directory nobody else can write (so <c>/var/run -> /run</c> or
    /// an operator's <c>/srv -> /data/srv</c> work, while a link in a service's directory is refused).
    /// openat2(RESOLVE_NO_SYMLINKS) answers the common case in one call; otherwise (a link on the way,
    /// a missing component, a kernel before 5.6) the path is walked one component at a time.
    /// </summary>
    /// <exception cref="UnsafeFileException">A component is a symlink that is not trusted.</exception>
    /// <exception cref="IOException">A component is missing, not a directory, or not accessible.</exception>
    public static SafeDirectory Open(string path, bool create = false)
    {
        if (!System.IO.Path.IsPathFullyQualified(path))
        {
            throw new IOException($"{path}: not an absolute path");
        }

        var full = System.IO.Path.GetFullPath(path);
        var fd = Libc.OpenAt2(Libc.AT_FDCWD, full, DirectoryFlags, Libc.RESOLVE_NO_SYMLINKS | Libc.RESOLVE_NO_MAGICLINKS);
        return fd >= 0 ? new SafeDirectory(fd, path) : Walk(full, path, create);
    }

    /// <summary>Opens the directory that holds <paramref name="file"/>; <paramref name="name"/> is the file's name in it.</summary>
    public static SafeDirectory OpenParent(string file, out string name, bool create = false)
    {
        name = System.IO.Path.GetFileName(file);
        return Open(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(file)) ?? "/", create);
    }

    private static SafeDirectory Walk(string full, string requested, bool create)
    {
        var links = 0;
        while (true)
        {
            var parts = full.Split('/', StringSplitOptions.RemoveEmptyEntries);
            var current = Libc.Open("/", DirectoryFlags, 0);
            if (current < 0)
            {
                throw new IOException($"cannot open /: {Linux.LastErrorText()}");
            }

            var walked = "/";
            string? redirected = null;
            try
            {
                for (var i = 0; i < parts.Length && redirected is null; i++)
                {
                    var at = Join(walked, parts[i]);
                    var next = OpenComponent(current, parts[i], at, create, out var linkTarget);
                    if (next >= 0)
                    {
                        Libc.Close(current);
                        current = next;
                        walked = at;
                        continue;
                    }

                    if (++links > MaxLinks)
                    {
                        throw new IOException($"{requested}: too many levels of symbolic links");
                    }

                    // A trusted link: continue from what it names, with the rest of the path.
                    var rest = string.Join('/', parts.Skip(i + 1));
                    redirected = System.IO.Path.GetFullPath(System.IO.Path.Combine(System.IO.Path.GetFullPath(linkTarget!, walked), rest));
                }

                if (redirected is null)
                {
                    var result = new SafeDirectory(current, requested);
                    current = -1;
                    return result;
                }

                full = redirected;
            }
            finally
            {
                if (current >= 0)
                {
                    Libc.Close(current);
                }
            }
        }
    }

    /// <summary>Opens one component; -1 with <paramref name="linkTarget"/> set when it is a trusted symlink to follow.</summary>
    private static int OpenComponent(int parent, string name, string at, bool create, out string? linkTarget)
    {
        linkTarget = null;
        for (var attempt = 0; ; attempt++)
        {
            var fd = Libc.OpenAt(parent, name, DirectoryFlags, 0);
            if (fd >= 0)
            {
                return fd;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno == Libc.ENOENT && create && attempt < 3 &&
                (Libc.MkdirAt(parent, name, NewDirectoryMode) == 0 || Marshal.GetLastPInvokeError() == Libc.EEXIST))
            {
                continue; // made (or someone else just did): open it, still without following a link
            }

            if (errno is Libc.ELOOP or Libc.ENOTDIR &&
                Libc.StatxPath(parent, name, Libc.AT_SYMLINK_NOFOLLOW, Libc.STATX_BASIC_STATS, out var st) == 0 &&
                (st.Mode & Libc.S_IFMT) == Libc.S_IFLNK && IsTrustedLink(parent, st))
            {
                linkTarget = ReadLink(parent, name, at);
                return -1;
            }

            throw ComponentFailure(parent, name, at, errno);
        }
    }

    /// <summary>A link only root could have made: root owns it and its directory, which no one else can write.</summary>
    private static bool IsTrustedLink(int parent, Libc.Statx link) =>
        link.Uid == 0 && StatFd(parent) is { Uid: 0 } directory && (directory.Mode & 0x12) == 0; // no group/other write

    private static unsafe string ReadLink(int parent, string name, string at)
    {
        var buffer = stackalloc byte[4096];
        var n = Libc.ReadlinkAt(parent, name, buffer, 4096);
        return n < 0 ? throw new IOException($"{at}: cannot read the link: {Linux.LastErrorText()}") : Encoding.UTF8.GetString(buffer, (int)n);
    }

    private static IOException ComponentFailure(int parent, string name, string at, int errno)
    {
        if (errno is Libc.ELOOP or Libc.ENOTDIR &&
            Libc.StatxPath(parent, name, Libc.AT_SYMLINK_NOFOLLOW, Libc.STATX_BASIC_STATS, out var st) == 0)
        {
            return (st.Mode & Libc.S_IFMT) == Libc.S_IFLNK
                ? new UnsafeFileException($"{at}: is a symbolic link owned by uid {st.Uid} (refused: the daemon only follows links that only root could have made)")
                : new IOException($"{at}: is {Describe(st.Mode)}, not a directory", errno);
        }

        return new IOException($"{at}: {Linux.ErrorText(errno)}", errno);
    }
}
