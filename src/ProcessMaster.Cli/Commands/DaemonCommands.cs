using System.CommandLine;
using System.Net.Sockets;
using ProcessMaster.Protocol;

namespace ProcessMaster.Cli.Commands;

internal static class DaemonCommands
{
    private static readonly TimeSpan HandOverTimeout = TimeSpan.FromSeconds(60);

    /// <summary><c>pmctl daemon-reexec</c>: the daemon replaces its image with the binary on disk; no service is touched.</summary>
    public static Command Reexec()
    {
        var command = new Command("daemon-reexec",
            "Re-execute the daemon in place from the binary at its path (after an upgrade): same pid, services keep running untouched; waits until the new image answers");
        command.SetAction((result, cancellation) => DaemonConnection.RunAsync(result, async client =>
        {
            var accepted = await client.CallAsync(Methods.DaemonReexec, new EmptyParams(), cancellation);
            Console.WriteLine(accepted.Message);
            await client.DisposeAsync(); // the old image waits for open connections before it hands over
            return await WaitForNextGenerationAsync(DaemonConnection.ResolveSocket(result), accepted.Generation, cancellation);
        }, cancellation));
        return command;
    }

    private static async Task<int> WaitForNextGenerationAsync(string socket, int previous, CancellationToken cancellation)
    {
        var deadline = DateTime.UtcNow + HandOverTimeout;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                await using var client = await RpcClient.ConnectAsync(socket, BuildIdentity.Current, cancellation);
                var version = await client.CallAsync(Methods.ServerVersion, new EmptyParams(), cancellation);
                if (version.Generation > previous)
                {
                    Console.WriteLine($"generation {version.Generation} answers: {version.Description}");
                    return ExitCodes.Success;
                }
            }
            catch (RpcException e) when (e.Code == RpcErrorCodes.NotCoBuilt)
            {
                // An upgrade: the new daemon takes only the new pmctl.
                Console.WriteLine("the daemon now runs another build than this pmctl; use the pmctl installed with it");
                return ExitCodes.Success;
            }
            catch (Exception e) when (e is SocketException or IOException or RpcException)
            {
                // Between images: the next one answers shortly.
            }

            await Task.Delay(50, cancellation);
        }

        Console.Error.WriteLine($"pmctl: no new daemon image answered within {HandOverTimeout.TotalSeconds:0} s; see `pmctl events` (a refused re-exec leaves the old one running)");
        return ExitCodes.Failed;
    }
}
