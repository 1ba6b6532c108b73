using System.Net;
using System.Net.Sockets;
using ProcessMaster.Core.Interop;

namespace ProcessMaster.Daemon.Web;

/// <summary>
/// The web console's (and the metrics') listening socket, opened by the daemon rather than by Kestrel so that its descriptor
/// is known: a re-exec hands it to the next image, and clients never see the port closed.
/// </summary>
internal static class WebListener
{
    /// <summary>A listening TCP socket on <paramref name="address"/>:<paramref name="port"/>; Kestrel owns the returned descriptor.</summary>
    /// <exception cref="SocketException">The address cannot be bound.</exception>
    public static int Open(IPAddress address, int port)
    {
        using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            socket.DualMode = address.Equals(IPAddress.IPv6Any);
        }

        socket.Bind(new IPEndPoint(address, port));
        socket.Listen(512);
        // A second descriptor of the same socket, for Kestrel; this one closes with the Socket object.
        var fd = Linux.Fcntl((int)socket.Handle, Linux.F_DUPFD_CLOEXEC, 3);
        return fd >= 0 ? fd : throw new SocketException(System.Runtime.InteropServices.Marshal.GetLastPInvokeError());
    }
}
