using System.Net.Sockets;
using System.Runtime.InteropServices;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Processes;

namespace ProcessMaster.Daemon.Control;

/// <summary>
/// Creates the listening unix socket: parent directory made 0700 when new, a live socket refused (another
/// daemon), a stale one replaced, bound under umask 0177 and then given the configured mode and owner.
/// </summary>
internal static partial class ControlSocket
{
    [LibraryImport("libc", EntryPoint = "umask")]
    private static partial int Umask(int mask);

    /// <param name="inherited">The listening socket a re-exec handed over: kept as it is, file and all.</param>
    public static Socket Listen(UnixSocketSettings settings, IUserDatabase users, int? inherited)
    {
        if (inherited is { } fd)
        {
            return new Socket(new SafeSocketHandle(fd, ownsHandle: true));
        }

        var path = settings.Path;
        var directory = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(directory))
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        if (File.Exists(path) || Directory.Exists(path))
        {
            if (IsLive(path))
            {
                throw new DaemonStartException($"another processmaster is already running (socket {path} accepts connections)");
            }

            File.Delete(path);
        }

        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        var previous = Umask(0x7F); // 0177: nobody but the owner can reach the socket before chmod
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(path));
            socket.Listen(512);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new DaemonStartException($"cannot listen on {path}: {e.Message}");
        }
        finally
        {
            Umask(previous);
        }

        File.SetUnixFileMode(path, (UnixFileMode)settings.Mode);
        if (settings.Owner is not null || settings.Group is not null)
        {
            var uid = settings.Owner is null ? uint.MaxValue : users.FindUser(settings.Owner)!.Uid;
            var gid = settings.Group is null ? uint.MaxValue : users.FindGroup(settings.Group)!.Gid;
            if (Core.Interop.Libc.Chown(path, uid, gid) < 0)
            {
                socket.Dispose();
                throw new DaemonStartException($"cannot chown {path} to {settings.Owner}:{settings.Group}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
            }
        }

        return socket;
    }

    private static bool IsLive(string path)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

/// <summary>The daemon cannot start; the message is the one line the operator sees.</summary>
internal sealed class DaemonStartException(string message) : Exception(message);
