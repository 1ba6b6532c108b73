using System.Net;
using System.Net.Sockets;

namespace ProcessMaster.Daemon.Http;

/// <summary>
/// The web console's (and the metrics') listening socket: opened here, or the one a re-exec handed over,
/// so that clients never see the port closed across an upgrade.
/// </summary>
internal static class ListenSocket
{
    /// <summary>A listening TCP socket on <paramref name="address"/>:<paramref name="port"/>, or <paramref name="inherited"/> when given.</summary>
    /// <exception cref="SocketException">The address cannot be bound.</exception>
    public static Socket Open(IPAddress address, int port, int? inherited)
    {
        if (inherited is { } fd)
        {
            return new Socket(new SafeSocketHandle(fd, ownsHandle: true));
        }

        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            if (address.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = address.Equals(IPAddress.IPv6Any);
            }

            socket.Bind(new IPEndPoint(address, port));
            socket.Listen(512);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
