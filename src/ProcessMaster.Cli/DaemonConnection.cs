using System.CommandLine;
using System.Net.Sockets;
using ProcessMaster.Protocol;

namespace ProcessMaster.Cli;

/// <summary>Finds the daemon's socket (-s, PMCTL_SOCK, the default), connects, and turns failures into clear messages.</summary>
internal static class DaemonConnection
{
    public const string DefaultSocket = "/run/processmaster/processmaster.sock";
    public const string SocketVariable = "PMCTL_SOCK";

    public static readonly Option<string?> SocketOption = new("--sock", "-s")
    {
        Description = $"Daemon socket (default: ${SocketVariable}, else {DefaultSocket})",
        HelpName = "PATH",
        Recursive = true,
    };

    public static string ResolveSocket(ParseResult result) =>
        result.GetValue(SocketOption) is { Length: > 0 } explicitPath
            ? explicitPath
            : Environment.GetEnvironmentVariable(SocketVariable)?.Trim() is { Length: > 0 } fromEnvironment
                ? fromEnvironment
                : DefaultSocket;

    /// <summary>Connects, runs <paramref name="action"/>, and maps every failure to a message and exit code 1.</summary>
    public static async Task<int> RunAsync(ParseResult result, Func<RpcClient, Task<int>> action, CancellationToken cancellation)
    {
        var socket = ResolveSocket(result);
        RpcClient client;
        try
        {
            client = await RpcClient.ConnectAsync(socket, BuildIdentity.Current, cancellation);
        }
        catch (SocketException e)
        {
            Console.Error.WriteLine($"pmctl: {ConnectFailure(socket, e)}");
            Console.Error.WriteLine($"Is the daemon running? Point pmctl at its socket (unix_socket.path in the daemon's config) with -s PATH or {SocketVariable}=PATH.");
            return ExitCodes.Failed;
        }
        catch (RpcException e)
        {
            Console.Error.WriteLine(e.Message);
            return ExitCodes.Failed;
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"pmctl: {e.Message}");
            return ExitCodes.Failed;
        }

        await using (client)
        {
            try
            {
                return await action(client);
            }
            catch (RpcException e)
            {
                Console.Error.WriteLine($"Error: {e.Message}");
                return ExitCodes.Failed;
            }
            catch (IOException e)
            {
                Console.Error.WriteLine($"pmctl: {e.Message}");
                return ExitCodes.Failed;
            }
            catch (OperationCanceledException)
            {
                return ExitCodes.Success; // Ctrl-C ends a follow
            }
        }
    }

    /// <summary>What the kernel's answer to connect(2) means here; .NET reports a missing socket file as "Cannot assign requested address".</summary>
    private static string ConnectFailure(string socket, SocketException e) => e.SocketErrorCode switch
    {
        _ when !Path.Exists(socket) => $"no daemon is listening at {socket} (no such file)",
        SocketError.ConnectionRefused => $"no daemon is listening at {socket} (the socket file is there, but nothing accepts on it: the daemon has stopped)",
        SocketError.AccessDenied => $"no permission to connect to {socket} (unix_socket.owner, group and mode in the daemon's config decide who may)",
        _ => $"cannot connect to the processmaster daemon at {socket}: {e.Message}",
    };
}
