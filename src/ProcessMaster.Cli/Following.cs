using System.CommandLine;
using System.Net.Sockets;
using System.Text.Json;
using ProcessMaster.Protocol;

namespace ProcessMaster.Cli;

/// <summary>
/// A follow (<c>logs -f</c>, <c>events -f</c>) that outlives a re-exec of the daemon: the daemon announces
/// one (<c>daemon.reexecuting</c>) before it closes the connection; pmctl then connects to the next image
/// and subscribes again from where it was, so nothing is missed or shown twice. Any other end of the
/// connection (the daemon stopped, crashed or was killed) is said and ends the follow with exit 1, or with
/// <c>--retry</c> waits for a daemon to answer again and follows on from where it was.
/// </summary>
internal static class Following
{
    private static readonly TimeSpan ReconnectTimeout = TimeSpan.FromSeconds(60);

    public static Option<bool> RetryOption() =>
        new("--retry") { Description = "When the connection to the daemon is lost, wait for it to answer again and follow on" };

    /// <param name="notified">Every notification but the announcement (on the connection's reader).</param>
    /// <param name="subscribe">Subscribes on a connection; <c>true</c> when resuming after a re-exec.</param>
    /// <param name="retry">A lost connection is waited out rather than the end of the follow.</param>
    public static async Task<int> RunAsync(RpcClient client, string socket, bool retry, Action<string, JsonElement> notified,
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
                if (announced)
                {
                    Console.Error.WriteLine("pmctl: the daemon re-executes; following on with its next image");
                }
                else if (retry)
                {
                    Console.Error.WriteLine("pmctl: the connection to the daemon was lost; waiting for it to answer again (--retry)");
                }
                else
                {
                    Console.Error.WriteLine("pmctl: the connection to the daemon was lost (it stopped, crashed or was killed); follow with --retry to wait for it");
                    return ExitCodes.Failed;
                }

                client = await ReconnectAsync(socket, announced ? ReconnectTimeout : null, cancellation);
                if (!announced)
                {
                    Console.Error.WriteLine("pmctl: connected again; following on");
                }

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

    /// <param name="timeout">How long a daemon may take to answer; null: until cancelled.</param>
    private static async Task<RpcClient> ReconnectAsync(string socket, TimeSpan? timeout, CancellationToken cancellation)
    {
        var deadline = timeout is { } t ? DateTime.UtcNow + t : DateTime.MaxValue;
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
                // Between two images the next one answers on the same socket shortly; a restarted daemon, later.
                if (DateTime.UtcNow >= deadline)
                {
                    throw new IOException($"no daemon image answered within {ReconnectTimeout.TotalSeconds:0} s of a re-exec: {e.Message}");
                }
            }

            await Task.Delay(timeout is null ? 500 : 50, cancellation);
        }
    }
}
