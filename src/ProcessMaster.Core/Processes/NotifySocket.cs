using System.Globalization;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Supervision;
using ProcessMaster.Shared;

namespace ProcessMaster.Core.Processes;

/// <summary>
/// The sd_notify socket of every notify service: one datagram socket at a path in a directory only root
/// can change (<see cref="DirectoryPath"/>), named in each such service's <c>NOTIFY_SOCKET</c>, so no local
/// user can take its name before the daemon binds it or while a crashed daemon is being replaced (any
/// abstract name can be bound by anyone). Whom a datagram is from is the kernel's word (SO_PASSCRED): the
/// sender's pid, whose cgroup names the service; a sender in no service's cgroup is ignored, so a service can
/// only speak for itself. Descriptors sent along are closed. At most <see cref="PerWakeUp"/> datagrams are read
/// per wake-up of the loop, so a chatty service cannot hold it. The path follows from the control socket's, so
/// the next daemon (after a crash) binds the same one, and a re-exec hands the socket over. A bind that fails
/// is tried again after <see cref="RetrySpacing"/>, then less and less often, until it succeeds.
/// </summary>
public sealed unsafe partial class NotifySocket : IDisposable
{
    /// <summary>Where the sockets are: root's, 0755, so every service's user can reach its socket and none can replace it.</summary>
    public const string DirectoryPath = "/run/processmaster-notify";

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
    private static readonly TimeSpan RetrySpacing = TimeSpan.FromSeconds(5);

    /// <summary>A bind that keeps failing is tried less often, down to this: no polling of a host that cannot have it.</summary>
    private static readonly TimeSpan MaxRetrySpacing = TimeSpan.FromMinutes(5);

    private readonly Lock _lock = new();
    private readonly EventLoop _loop;
    private readonly Func<int, string?> _serviceOf;
    private readonly Action<string, int, NotifyMessage> _deliver;
    private readonly Action<string> _report;
    private readonly ITimer _retry;
    private Bound? _socket;

    /// <summary>The abstract socket an earlier build bound, handed over by a re-exec: the services it started still write to it.</summary>
    private Bound? _legacy;
    private TimeSpan _nextRetry = RetrySpacing;
    private bool _disposed;

    private sealed record Bound(int Fd, EventLoop.Registration Registration);

    private NotifySocket(string path, EventLoop loop, Func<int, string?> serviceOf, Action<string, int, NotifyMessage> deliver, Action<string> report, TimeProvider time)
    {
        Name = path;
        _loop = loop;
        _serviceOf = serviceOf;
        _deliver = deliver;
        _report = report;
        _retry = time.CreateTimer(_ => TryBind(retrying: true), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The <c>NOTIFY_SOCKET</c> value: the socket's path.</summary>
    public string Name { get; }

    /// <summary>The socket's descriptor, handed to the next image on a re-exec; null while it is not bound.</summary>
    public int? Fd => _socket?.Fd;

    /// <summary>An earlier build's abstract socket, handed on with it.</summary>
    public int? LegacyFd => _legacy?.Fd;

    /// <summary>The socket path of the daemon on <paramref name="controlSocket"/>: the same for every daemon of that config.</summary>
    public static string PathFor(string controlSocket) =>
        $"{DirectoryPath}/{Convert.ToHexStringLower(XxHash64.Hash(Encoding.UTF8.GetBytes(Path.GetFullPath(controlSocket))))}.sock";

    /// <summary>
    /// The notify socket at <paramref name="path"/>: one a re-exec handed over (<paramref name="inherited"/>, already
    /// bound), or bound now; if that fails, <paramref name="report"/> says why and binding is tried again until it works.
    /// </summary>
    /// <param name="serviceOf">The service a pid's process belongs to, or null.</param>
    public static NotifySocket Open(string path, IEnumerable<int> inherited, EventLoop loop, Func<int, string?> serviceOf,
        Action<string, int, NotifyMessage> deliver, Action<string> report, TimeProvider time)
    {
        var socket = new NotifySocket(path, loop, serviceOf, deliver, report, time);
        foreach (var fd in inherited)
        {
            Linux.Fcntl(fd, Linux.F_SETFD, Linux.FD_CLOEXEC);
            if (BoundName(fd) == path && socket._socket is null)
            {
                socket._socket = socket.Watch(fd);
            }
            else if (socket._legacy is null)
            {
                socket._legacy = socket.Watch(fd);
            }
            else
            {
                Libc.Close(fd);
            }
        }

        if (socket._socket is null)
        {
            socket.TryBind(retrying: false);
        }

        return socket;
    }

    private Bound Watch(int fd) => new(fd, _loop.Register(fd, Linux.EPOLLIN, _ => Drain(fd)));

    private void TryBind(bool retrying)
    {
        lock (_lock)
        {
            if (_disposed || _socket is not null)
            {
                return;
            }

            if (BindAt(Name, out var error) is { } fd)
            {
                _socket = Watch(fd);
                if (retrying)
                {
                    _report($"the notify socket {Name} is bound now; notify services reach the daemon again");
                }

                return;
            }

            if (!retrying)
            {
                _report($"cannot bind the notify socket {Name}: {error}; notify services will not become ready until it can be bound (tried again in {RetrySpacing.TotalSeconds:0} s, then less often)");
            }

            _retry.Change(_nextRetry, Timeout.InfiniteTimeSpan);
            _nextRetry = TimeSpan.FromTicks(Math.Min(_nextRetry.Ticks * 2, MaxRetrySpacing.Ticks));
        }
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

    private void Drain(int fd)
    {
        var buffer = stackalloc byte[MaxDatagram];
        var control = stackalloc byte[256];
        for (var round = 0; round < PerWakeUp; round++)
        {
            var iov = new IoVec { Base = buffer, Length = MaxDatagram };
            var message = new MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = 256 };
            var n = RecvMsg(fd, &message, MSG_CMSG_CLOEXEC);
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

    /// <summary>Closes the sockets; the path is removed (a daemon that ends cleanly leaves nothing for services to write to).</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _retry.Dispose();
            foreach (var bound in new[] { _socket, _legacy }.OfType<Bound>())
            {
                bound.Registration.Dispose();
                Libc.Close(bound.Fd);
            }

            if (_socket is not null)
            {
                File.Delete(Name);
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    private static partial nint RecvMsg(int fd, MsgHdr* message, int flags);
}
