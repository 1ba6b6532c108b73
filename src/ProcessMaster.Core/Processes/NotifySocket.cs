using System.Globalization;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Supervision;
using ProcessMaster.Shared;

namespace ProcessMaster.Core.Processes;

/// <summary>
/// The sd_notify socket of every notify service: one abstract datagram socket (so no file of the daemon's
/// must be reachable by a service's user), named in each such service's <c>NOTIFY_SOCKET</c>. Whom a
/// datagram is from is the kernel's word (SO_PASSCRED): the sender's pid, whose cgroup names the service;
/// a sender in no service's cgroup is ignored, so a service can only speak for itself. Descriptors sent
/// along are closed. At most <see cref="PerWakeUp"/> datagrams are read per wake-up of the loop, so a
/// chatty service cannot hold it. The name follows from the control socket's path, so the next daemon
/// (after a crash) binds the same one, and a re-exec hands the socket over.
/// </summary>
public sealed unsafe partial class NotifySocket : IDisposable
{
    private const int PerWakeUp = 64;
    private const int MaxDatagram = 4096;
    private const int AF_UNIX = 1;
    private const int SOCK_DGRAM = 2;
    private const int SOCK_NONBLOCK = 0x800;
    private const int SOCK_CLOEXEC = 0x80000;
    private const int SOL_SOCKET = 1;
    private const int SO_PASSCRED = 16;
    private const int SCM_RIGHTS = 1;
    private const int SCM_CREDENTIALS = 2;
    private const int MSG_CMSG_CLOEXEC = 0x40000000;
    private const int MSG_TRUNC = 0x20;
    private const int EADDRINUSE = 98;

    private readonly int _fd;
    private readonly EventLoop.Registration _registration;
    private readonly Func<int, string?> _serviceOf;
    private readonly Action<string, int, NotifyMessage> _deliver;

    private NotifySocket(int fd, string name, EventLoop loop, Func<int, string?> serviceOf, Action<string, int, NotifyMessage> deliver)
    {
        _fd = fd;
        Name = name;
        _serviceOf = serviceOf;
        _deliver = deliver;
        _registration = loop.Register(fd, Linux.EPOLLIN, _ => Drain());
    }

    /// <summary>The <c>NOTIFY_SOCKET</c> value (<c>@</c>: the abstract namespace).</summary>
    public string Name { get; }

    /// <summary>The socket's descriptor, handed to the next image on a re-exec.</summary>
    public int Fd => _fd;

    /// <summary>The socket name of the daemon on <paramref name="controlSocket"/>: the same for every daemon of that config.</summary>
    public static string NameFor(string controlSocket) =>
        "@processmaster-notify-" + Convert.ToHexStringLower(XxHash64.Hash(Encoding.UTF8.GetBytes(Path.GetFullPath(controlSocket))));

    /// <param name="inherited">The socket a re-exec handed over (already bound).</param>
    /// <param name="serviceOf">The service a pid's process belongs to, or null.</param>
    /// <exception cref="IOException">The socket cannot be bound (another process holds the name).</exception>
    public static NotifySocket Open(string name, int? inherited, EventLoop loop, Func<int, string?> serviceOf, Action<string, int, NotifyMessage> deliver)
    {
        if (inherited is { } handed)
        {
            Linux.Fcntl(handed, Linux.F_SETFD, Linux.FD_CLOEXEC);
            return new NotifySocket(handed, name, loop, serviceOf, deliver);
        }

        var fd = Socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            throw new IOException($"cannot create the notify socket: {Linux.LastErrorText()}");
        }

        var on = 1;
        var address = stackalloc byte[110];
        new Span<byte>(address, 110).Clear();
        *(ushort*)address = AF_UNIX;
        var encoded = Encoding.UTF8.GetBytes(name[1..]);
        encoded.AsSpan(0, Math.Min(encoded.Length, 107)).CopyTo(new Span<byte>(address + 3, 107)); // after the NUL that makes it abstract
        if (SetSockOpt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(int)) < 0 || Bind(fd, address, 3 + Math.Min(encoded.Length, 107)) < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            Libc.Close(fd);
            throw new IOException(errno == EADDRINUSE
                ? $"the notify socket {name} is taken by another process; notify services will not become ready"
                : $"cannot bind the notify socket {name}: {Marshal.GetPInvokeErrorMessage(errno)}");
        }

        return new NotifySocket(fd, name, loop, serviceOf, deliver);
    }

    /// <summary>The service <paramref name="pid"/> runs in, from its cgroup (<c>.../&lt;master&gt;/pm-&lt;app&gt;/...</c>); null for any other process.</summary>
    public static string? ServiceOf(int pid, string masterName)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cgroup"))
            {
                if (line.StartsWith("0::", StringComparison.Ordinal) && ServiceInPath(line[3..], masterName) is { } app)
                {
                    return app;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Gone already.
        }

        return null;
    }

    /// <summary>The service a cgroup path lies in under the master group named <paramref name="masterName"/>.</summary>
    public static string? ServiceInPath(string cgroupPath, string masterName)
    {
        var segments = cgroupPath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i + 1 < segments.Length; i++)
        {
            if (segments[i] == masterName && segments[i + 1].StartsWith(Cgroups.CgroupLayout.ServicePrefix, StringComparison.Ordinal))
            {
                return segments[i + 1][Cgroups.CgroupLayout.ServicePrefix.Length..];
            }
        }

        return null;
    }

    private void Drain()
    {
        var buffer = stackalloc byte[MaxDatagram];
        var control = stackalloc byte[256];
        for (var round = 0; round < PerWakeUp; round++)
        {
            var iov = new IoVec { Base = buffer, Length = MaxDatagram };
            var message = new MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = 256 };
            var n = RecvMsg(_fd, &message, MSG_CMSG_CLOEXEC);
            if (n < 0)
            {
                return; // nothing more for now
            }

            var pid = Sender(&message);
            if (pid > 0 && (message.Flags & MSG_TRUNC) == 0 && NotifyDatagram.Parse(new ReadOnlySpan<byte>(buffer, (int)n)) is { } said &&
                _serviceOf(pid) is { } app)
            {
                _deliver(app, pid, said);
            }
        }
    }

    /// <summary>The sender's pid from SCM_CREDENTIALS; closes any descriptors that came along.</summary>
    private static int Sender(MsgHdr* message)
    {
        var pid = 0;
        var control = (byte*)message->Control;
        for (nint offset = 0; offset + sizeof(CmsgHdr) <= message->ControlLength;)
        {
            var header = (CmsgHdr*)(control + offset);
            if (header->Length < sizeof(CmsgHdr))
            {
                break;
            }

            var data = (byte*)header + sizeof(CmsgHdr);
            var dataLength = header->Length - sizeof(CmsgHdr);
            if (header->Level == SOL_SOCKET && header->Type == SCM_CREDENTIALS && dataLength >= 12)
            {
                pid = *(int*)data;
            }
            else if (header->Level == SOL_SOCKET && header->Type == SCM_RIGHTS)
            {
                for (var i = 0; i + 4 <= dataLength; i += 4)
                {
                    Libc.Close(*(int*)(data + i));
                }
            }

            offset += (header->Length + 7) & ~7; // CMSG_ALIGN
        }

        return pid;
    }

    public void Dispose()
    {
        _registration.Dispose();
        Libc.Close(_fd);
    }

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    private static partial int Bind(int fd, byte* address, int length);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    private static partial int SetSockOpt(int fd, int level, int name, void* value, int length);

    [LibraryImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    private static partial nint RecvMsg(int fd, MsgHdr* message, int flags);
}
