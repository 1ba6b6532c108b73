using System.Runtime.InteropServices;
using System.Text;

namespace ProcessMaster.Shared;

/// <summary>
/// A unix <c>SOCK_SEQPACKET</c> socket that carries short text messages, each with at most one file
/// descriptor attached (SCM_RIGHTS): how the daemon hands its services' output pipes to the pipe
/// holder and gets them back. Compiled into both the daemon and <c>processmaster-exec</c>.
/// Descriptors it creates or receives are close-on-exec.
/// </summary>
internal static unsafe partial class FdSocket
{
    public const int MaxMessage = 4096;
    private const int AF_UNIX = 1;
    private const int SOCK_SEQPACKET = 5;
    private const int SOCK_CLOEXEC = 0x80000;
    private const int SOL_SOCKET = 1;
    private const int SCM_RIGHTS = 1;
    private const int SO_PEERCRED = 17;
    private const int MSG_NOSIGNAL = 0x4000;
    private const int MSG_CMSG_CLOEXEC = 0x40000000;
    private const int EINTR = 4;
    private const int SunPathLength = 108;

    [StructLayout(LayoutKind.Sequential)]
    public struct PeerCredentials
    {
        public int Pid;
        public uint Uid;
        public uint Gid;
    }

    private static readonly int ControlSpace = sizeof(CmsgHdr) + 8; // CMSG_SPACE(sizeof(int))

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    private static partial int Bind(int fd, byte* address, int length);

    [LibraryImport("libc", EntryPoint = "connect", SetLastError = true)]
    private static partial int Connect(int fd, byte* address, int length);

    [LibraryImport("libc", EntryPoint = "listen", SetLastError = true)]
    private static partial int Listen(int fd, int backlog);

    [LibraryImport("libc", EntryPoint = "accept4", SetLastError = true)]
    private static partial int Accept4(int fd, void* address, void* length, int flags);

    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    private static partial nint SendMsg(int fd, MsgHdr* message, int flags);

    [LibraryImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    private static partial nint RecvMsg(int fd, MsgHdr* message, int flags);

    [LibraryImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
    private static partial int GetSockOpt(int fd, int level, int name, void* value, int* length);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    private static partial int SetSockOpt(int fd, int level, int name, void* value, int length);

    [LibraryImport("libc", EntryPoint = "close")]
    public static partial int Close(int fd);

    /// <summary>A listening socket bound to <paramref name="path"/> (which must not exist), or -1 with errno set.</summary>
    public static int ListenAt(string path) => Open(path, (fd, address, length) => Bind(fd, (byte*)address, length) < 0 ? -1 : Listen(fd, 16));

    /// <summary>A socket connected to <paramref name="path"/>, or -1 with errno set.</summary>
    public static int ConnectTo(string path) => Open(path, (fd, address, length) => Connect(fd, (byte*)address, length));

    /// <summary>A new socket on which <paramref name="setUp"/> (given its address) succeeded, or -1 with errno set.</summary>
    private static int Open(string path, Func<int, nint, int, int> setUp)
    {
        var fd = Socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            return -1;
        }

        if (WithAddress(path, (address, length) => setUp(fd, address, length)) < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            Close(fd);
            Marshal.SetLastPInvokeError(errno);
            return -1;
        }

        return fd;
    }

    public static int Accept(int listener)
    {
        int fd;
        do
        {
            fd = Accept4(listener, null, null, SOCK_CLOEXEC);
        }
        while (fd < 0 && Marshal.GetLastPInvokeError() == EINTR);

        return fd;
    }

    public static bool TryGetPeer(int fd, out PeerCredentials peer)
    {
        PeerCredentials credentials;
        var length = sizeof(PeerCredentials);
        var ok = GetSockOpt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0;
        peer = credentials;
        return ok;
    }

    /// <summary>Makes <see cref="Send"/> and <see cref="Receive"/> on <paramref name="fd"/> give up after <paramref name="timeout"/>.</summary>
    public static void SetTimeouts(int fd, TimeSpan timeout)
    {
        const int SO_RCVTIMEO = 20;
        const int SO_SNDTIMEO = 21;
        var value = stackalloc long[2];
        value[0] = (long)timeout.TotalSeconds;
        value[1] = timeout.Milliseconds * 1000L;
        SetSockOpt(fd, SOL_SOCKET, SO_RCVTIMEO, value, 2 * sizeof(long));
        SetSockOpt(fd, SOL_SOCKET, SO_SNDTIMEO, value, 2 * sizeof(long));
    }

    /// <summary>Sends one message, with <paramref name="fd"/> attached when it is not -1; false when the peer is gone.</summary>
    public static bool Send(int socket, string text, int fd = -1)
    {
        // Encoded on the stack: the holder answers a new daemon with one message per pipe it keeps.
        Span<byte> bytes = stackalloc byte[MaxMessage];
        if (!Encoding.UTF8.TryGetBytes(text, bytes, out var length))
        {
            Marshal.SetLastPInvokeError(90); // EMSGSIZE
            return false;
        }

        var control = stackalloc byte[ControlSpace];
        fixed (byte* data = bytes)
        {
            var iov = new IoVec { Base = data, Length = length };
            var message = new MsgHdr { Iov = &iov, IovLength = 1 };
            if (fd >= 0)
            {
                new Span<byte>(control, ControlSpace).Clear();
                var header = (CmsgHdr*)control;
                header->Length = sizeof(CmsgHdr) + sizeof(int);
                header->Level = SOL_SOCKET;
                header->Type = SCM_RIGHTS;
                *(int*)(control + sizeof(CmsgHdr)) = fd;
                message.Control = control;
                message.ControlLength = ControlSpace;
            }

            nint sent;
            do
            {
                sent = SendMsg(socket, &message, MSG_NOSIGNAL);
            }
            while (sent < 0 && Marshal.GetLastPInvokeError() == EINTR);

            return sent == length;
        }
    }

    /// <summary>Receives one message: its text (null at end of stream or on error) and its descriptor (-1 when none).</summary>
    public static (string? Text, int Fd) Receive(int socket)
    {
        var buffer = stackalloc byte[MaxMessage];
        var control = stackalloc byte[ControlSpace];
        var iov = new IoVec { Base = buffer, Length = MaxMessage };
        var message = new MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = ControlSpace };
        nint received;
        do
        {
            received = RecvMsg(socket, &message, MSG_CMSG_CLOEXEC);
        }
        while (received < 0 && Marshal.GetLastPInvokeError() == EINTR);

        var fd = -1;
        var header = (CmsgHdr*)control;
        if (message.ControlLength >= sizeof(CmsgHdr) + sizeof(int) && header->Level == SOL_SOCKET && header->Type == SCM_RIGHTS)
        {
            fd = *(int*)(control + sizeof(CmsgHdr));
        }

        if (received <= 0)
        {
            if (fd >= 0)
            {
                Close(fd);
            }

            return (null, -1);
        }

        return (Encoding.UTF8.GetString(buffer, (int)received), fd);
    }

    private static int WithAddress(string path, Func<nint, int, int> call)
    {
        var encoded = Encoding.UTF8.GetBytes(path);
        if (encoded.Length >= SunPathLength)
        {
            Marshal.SetLastPInvokeError(36); // ENAMETOOLONG
            return -1;
        }

        var address = stackalloc byte[2 + SunPathLength];
        new Span<byte>(address, 2 + SunPathLength).Clear();
        *(ushort*)address = AF_UNIX;
        encoded.CopyTo(new Span<byte>(address + 2, SunPathLength));
        return call((nint)address, 2 + encoded.Length + 1);
    }
}
