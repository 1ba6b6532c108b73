using System.Net.Sockets;

namespace ProcessMaster.Daemon.Control;

/// <summary>
/// The unix-socket JSON-RPC server: a plain accept loop with newline framing (ASP.NET is only started
/// for the web console). Each connection carries many requests; a request line over 1 MiB, a client
/// that stops reading, or one that vanishes only ever affects its own connection.
/// </summary>
internal sealed class RpcServer(Socket listener, RpcDispatcher dispatcher, Action<string> log) : IAsyncDisposable
{
    public const int MaxConnections = 512;

    private readonly CancellationTokenSource _stopping = new();
    private readonly HashSet<RpcConnection> _connections = [];
    private Task _acceptLoop = Task.CompletedTask;

    public void Start() => _acceptLoop = Task.Run(AcceptLoopAsync);

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(_stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException e)
            {
                log($"accept failed: {e.Message}");
                await Task.Delay(100);
                continue;
            }

            RpcConnection connection;
            lock (_connections)
            {
                if (_connections.Count >= MaxConnections)
                {
                    client.Dispose();
                    log($"refused a connection: {MaxConnections} clients already connected");
                    continue;
                }

                connection = new RpcConnection(client, dispatcher);
                _connections.Add(connection);
            }

            _ = RunConnectionAsync(connection);
        }
    }

    private async Task RunConnectionAsync(RpcConnection connection)
    {
        try
        {
            await connection.RunAsync(_stopping.Token);
        }
        catch (Exception e)
        {
            log($"connection failed: {e.Message}");
        }
        finally
        {
            lock (_connections)
            {
                _connections.Remove(connection);
            }

            connection.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        listener.Dispose();
        await _acceptLoop;
        lock (_connections)
        {
            foreach (var connection in _connections)
            {
                connection.Dispose();
            }
        }
    }
}
