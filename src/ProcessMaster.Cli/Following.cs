using System.Net.Sockets;
using System.Text.Json;
using ProcessMaster.Protocol;

namespace ProcessMaster.Cli;

/// <summary>
/// A follow (<c>logs -f</c>, <c>events -f</c>) that outlives a re-exec of the daemon: the daemon announces
/// one (<c>daemon.reexecuting</c>) before it closes the connection; pmctl then connects to the next image
/// and subscribes again from where it was, so nothing is missed or shown twice. Any other end of the
/// connection ends the follow.
/// </summary>
internal static class Following
{
    private static readonly TimeSpan ReconnectTimeout = TimeSpan.FromSeconds(60);

    /// <param name="notified">Every notification but the announcement (on the connection's reader).</param>
    /// <param name="subscribe">Subscribes on a connection; <c>true</c> when resuming after a re-exec.</param>
    public static async Task<int> RunAsync(RpcClient client, string socket, Action<string, JsonElement> notified,
        Func<RpcClient, bool, Task> subscribe, CancellationToken cancellation)
    {
        var resuming = false;
        var owned = new List<RpcClient>();
        try
        {
            while (true)
            {
                var announced = false;
                client.Notified = (method, payload) =>
                {
                    if (method == Methods.ReexecNotification.Name)
                    {
                        announced = true;
                    }
                    else
                    {
                        notified(method, payload);
                    }
                };
                await subscribe(client, resuming);
                await client.Closed.WaitAsync(cancellation);
                if (!announced)
                {
                    return ExitCodes.Success;
                }

                Console.Error.WriteLine("pmctl: the daemon re-executes; following on with its next image");
                client = await ReconnectAsync(socket, cancellation);
                owned.Add(client);
                resuming = true;
            }
        }
        finally
        {
            foreach (var c in owned)
            {
                await c.DisposeAsync();
            }
        }
    }

    private static async Task<RpcClient> ReconnectAsync(string socket, CancellationToken cancellation)
    {
        var deadline = DateTime.UtcNow + ReconnectTimeout;
        while (true)
        {
            try
            {
                return await RpcClient.ConnectAsync(socket, BuildIdentity.Current, cancellation);
            }
            catch (RpcException e) when (e.Code == RpcErrorCodes.NotCoBuilt)
            {
                throw new IOException("the daemon now runs another build than this pmctl (an upgrade); follow again with the pmctl installed with it");
            }
            catch (Exception e) when (e is SocketException or IOException or RpcException)
            {
                // Between two images: the next one answers on the same socket shortly.
                if (DateTime.UtcNow >= deadline)
                {
                    throw new IOException($"no daemon image answered within {ReconnectTimeout.TotalSeconds:0} s of a re-exec: {e.Message}");
                }
            }

            await Task.Delay(50, cancellation);
        }
    }
}
