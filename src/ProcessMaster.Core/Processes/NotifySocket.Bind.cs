using System.Runtime.InteropServices;
using System.Text;
using ProcessMaster.Core.Files;
using ProcessMaster.Core.Interop;

namespace ProcessMaster.Core.Processes;

/// <summary>Binding the notify socket where only root can put it.</summary>
public sealed unsafe partial class NotifySocket
{
    private const int SunPathLength = 108;
    private const int EverybodyMaySend = 0x1B6; // 0666: connecting needs write permission; the sender's cgroup says who it is

    /// <summary>A bound socket at <paramref name="path"/> (replacing what an earlier daemon left there), or null with <paramref name="error"/>.</summary>
    private static int? BindAt(string path, out string error)
    {
        var directory = Path.GetDirectoryName(path)!;
        try
        {
            Directory.CreateDirectory(directory, (UnixFileMode)0x1ED);
            var writers = Writers.OfPath(directory);
            if (!writers.IsNone)
            {
                error = $"{directory} can be changed by {writers.Describe(SystemUserDatabase.Instance)}; the socket must be where only root can put it";
                return null;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = e.Message;
            return null;
        }

        var name = Encoding.UTF8.GetBytes(path);
        if (name.Length >= SunPathLength)
        {
            error = "the path is too long for a unix socket";
            return null;
        }

        // What is there is an earlier daemon's socket (only root can write the directory): its name is ours to take.
        if (Libc.UnlinkAt(Libc.AT_FDCWD, path, 0) < 0 && Marshal.GetLastPInvokeError() is var errno and not Libc.ENOENT)
        {
            error = $"cannot remove what is at that path: {Marshal.GetPInvokeErrorMessage(errno)}";
            return null;
        }

        var fd = Socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            error = Linux.LastErrorText();
            return null;
        }

        var on = 1;
        var address = stackalloc byte[2 + SunPathLength];
        new Span<byte>(address, 2 + SunPathLength).Clear();
        *(ushort*)address = AF_UNIX;
        name.CopyTo(new Span<byte>(address + 2, SunPathLength));
        if (SetSockOpt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(int)) < 0 || Bind(fd, address, 2 + name.Length + 1) < 0 ||
            Libc.Chmod(path, EverybodyMaySend) < 0)
        {
            error = Linux.LastErrorText();
            Libc.Close(fd);
            return null;
        }

        error = "";
        return fd;
    }

    /// <summary>The name a socket is bound to: its path, or <c>@name</c> in the abstract namespace; null if unnamed.</summary>
    internal static string? BoundName(int fd)
    {
        var address = stackalloc byte[2 + SunPathLength];
        var length = 2 + SunPathLength;
        if (GetSockName(fd, address, &length) < 0 || length <= 2)
        {
            return null;
        }

        var name = new ReadOnlySpan<byte>(address + 2, Math.Min(length - 2, SunPathLength));
        return name[0] == 0 ? "@" + Encoding.UTF8.GetString(name[1..]) : Encoding.UTF8.GetString(name.TrimEnd((byte)0));
    }

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    private static partial int Bind(int fd, byte* address, int length);

    [LibraryImport("libc", EntryPoint = "getsockname", SetLastError = true)]
    private static partial int GetSockName(int fd, byte* address, int* length);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    private static partial int SetSockOpt(int fd, int level, int name, void* value, int length);
}
