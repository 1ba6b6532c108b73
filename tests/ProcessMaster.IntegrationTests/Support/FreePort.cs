using System.Net;
using System.Net.Sockets;

namespace ProcessMaster.IntegrationTests.Support;

public static class FreePort
{
    /// <summary>A TCP port nothing listens on right now.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
