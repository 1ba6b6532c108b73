using System.Net.Sockets;
using ProcessMaster.Core.Faults;
using ProcessMaster.Core.Processes;
using ProcessMaster.Protocol;

namespace ProcessMaster.Daemon.Control;

/// <summary>
/// The unix-socket JSON-RPC server: a plain accept loop with newline framing. Each connection carries many requests; a request line over 1 MiB, a client
/// that stops reading, or one that vanishes only ever affects its own connection. Connections are
/// counted per peer uid (from the kernel): one user cannot hold more than <see cref="MaxPerUser"/>, all
/// users together no more than <see cref="MaxUnprivileged"/>, and root has <see cref="MaxRoot"/> of its own,
/// so however many connections others open, root's pmctl still gets in. A refused client is told why.
/// </summary>
internal sealed class RpcServer(Socket listener, RpcDispatcher dispatcher, IUserDatabase users, Action<string> log) : IAsyncDisposable
{
    public const int MaxPerUser = 64;
    public const int MaxUnprivileged = 512;
    public const int MaxRoot = 512;

    private readonly CancellationTokenSource _stopping = new();
    private CancellationTokenSource _pausing = new();
    private readonly HashSet<RpcConnection> _connections = [];
    private readonly Dictionary<uint, int> _perUser = [];
    private int _unprivileged;
    private DateTimeOffset _lastRefusalLogged;
    private Task _acceptLoop = Task.CompletedTask;

    /// <summary>The listening socket (handed to the next image on a re-exec).</summary>
    public Socket Listener => listener;

    public void Start() => _acceptLoop = Task.Run(AcceptLoopAsync);

    /// <summary>
    /// Stops accepting (new clients wait in the listen backlog, they are not refused), tells every open
    /// connection <paramref name="notice"/> (followers reconnect to the next image and resume), and waits up
    /// to <paramref name="drain"/> for every connection but those that only follow streams to end; returns
    /// how many did not.
    /// </summary>
    public async Task<int> PauseAsync(TimeSpan drain, byte[] notice)
    {
        await _pausing.CancelAsync();
        await _acceptLoop;
        RpcConnection[] open;
        lock (_connections)
        {
            open = [.. _connections];
        }

        await Task.WhenAll(open.Select(c => c.AnnounceAsync(notice)));
        var deadline = Environment.TickCount64 + (long)drain.TotalMilliseconds;
        while (Unsettled > 0 && Environment.TickCount64 < deadline)
        {
            await Task.Delay(5);
        }

        return Unsettled;
    }

    /// <summary>Accepts again after <see cref="PauseAsync"/> (the re-exec did not happen).</summary>
    public void Resume()
    {
        _pausing = new CancellationTokenSource();
        Start();
    }

    /// <summary>Open connections the swap waits for: all but those that only follow streams.</summary>
    private int Unsettled
    {
        get
        {
            lock (_connections)
            {
                return _connections.Count(c => !c.OnlyFollows);
            }
        }
    }

    private async Task AcceptLoopAsync()
    {
        using var either = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token, _pausing.Token);
        while (!either.IsCancellationRequested)
        {
            Socket client;
            try
            {
                Failpoints.Hit("rpc-accept");
                client = await listener.AcceptAsync(either.Token);
            }
            catch (Exception) when (either.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Out of descriptors, say: keep accepting once it passes rather than stop serving pmctl.
                Background.Report("accepting a control connection", e, log);
                await Task.Delay(100);
                continue;
            }

            if (PeerCredentials.Of(client) is not { } peer)
            {
                client.Dispose();
                continue;
            }

            if (Admit(client, peer) is { } connection)
            {
                _ = RunConnectionAsync(connection);
            }
            else
            {
                _ = RefuseAsync(client, peer);
            }
        }
    }

    private RpcConnection? Admit(Socket client, PeerCredentials peer)
    {
        lock (_connections)
        {
            var mine = _perUser.GetValueOrDefault(peer.Uid);
            var full = peer.IsRoot ? mine >= MaxRoot : mine >= MaxPerUser || _unprivileged >= MaxUnprivileged;
            if (full)
            {
                return null;
            }

            _perUser[peer.Uid] = mine + 1;
            _unprivileged += peer.IsRoot ? 0 : 1;
            var connection = new RpcConnection(client, dispatcher, peer, UserName);
            _connections.Add(connection);
            return connection;
        }
    }

    /// <summary>The name of <paramref name="uid"/> in the user database, or the number when it has none (looked up only when an action is recorded).</summary>
    private string UserName(uint uid)
    {
        var id = uid.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return users.FindUser(id)?.Name ?? id;
    }

    /// <summary>Tells the client why (pmctl prints it), without waiting on a client that does not read.</summary>
    private async Task RefuseAsync(Socket client, PeerCredentials peer)
    {
        var reason = peer.IsRoot
            ? $"processmaster refused the connection: root already has {MaxRoot} connections open; close some and try again"
            : $"processmaster refused the connection: too many connections (uid {peer.Uid} may have {MaxPerUser}, all users together {MaxUnprivileged}); close some and try again";
        var now = DateTimeOffset.UtcNow;
        if (now - _lastRefusalLogged > TimeSpan.FromSeconds(10))
        {
            _lastRefusalLogged = now;
            log($"refused a connection from {peer}: connection limit reached");
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await client.SendAsync(JsonRpc.Error(null, RpcErrorCodes.Unavailable, reason), SocketFlags.None, timeout.Token);
            client.Shutdown(SocketShutdown.Send);
        }
        catch (Exception)
        {
            // It is refused either way.
        }
        finally
        {
            client.Dispose();
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
            log($"connection {connection.Peer} failed: {e.Message}");
        }
        finally
        {
            lock (_connections)
            {
                _connections.Remove(connection);
                var peer = connection.Peer;
                if (--_perUser[peer.Uid] == 0)
                {
                    _perUser.Remove(peer.Uid);
                }

                _unprivileged -= peer.IsRoot ? 0 : 1;
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
