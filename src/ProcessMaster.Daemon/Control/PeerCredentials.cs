using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace ProcessMaster.Daemon.Control;

/// <summary>Who is at the other end of a unix socket, from the kernel (SO_PEERCRED), not from anything the client says.</summary>
internal readonly record struct PeerCredentials(int Pid, uint Uid, uint Gid)
{
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;

    public bool IsRoot => Uid == 0;

    /// <summary>The peer of <paramref name="socket"/>; null if the kernel cannot tell (not a unix socket).</summary>
    public static PeerCredentials? Of(Socket socket)
    {
        Span<byte> ucred = stackalloc byte[12]; // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
        try
        {
            if (socket.GetRawSocketOption(SolSocket, SoPeerCred, ucred) != 12)
            {
                return null;
            }
        }
        catch (SocketException)
        {
            return null;
        }

        return new PeerCredentials(
            MemoryMarshal.Read<int>(ucred),
            MemoryMarshal.Read<uint>(ucred[4..]),
            MemoryMarshal.Read<uint>(ucred[8..]));
    }

    public override string ToString() => $"uid={Uid} pid={Pid}";
}
