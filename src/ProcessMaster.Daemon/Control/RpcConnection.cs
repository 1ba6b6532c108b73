using System.Buffers;
using System.Net.Sockets;
using ProcessMaster.Protocol;

namespace ProcessMaster.Daemon.Control;

/// <summary>
/// One client connection: reads request lines, answers in order, and carries stream notifications. A
/// client must say hello within <see cref="HelloTimeout"/> and is dropped after <see cref="IdleTimeout"/>
/// without a request (unless it follows a stream), so idle connections cannot pile up. While it waits,
/// a connection holds no receive buffer.
/// </summary>
/// <param name="userName">The name of a uid in the user database (or the number), for the events of what the peer asks.</param>
internal sealed class RpcConnection(Socket socket, RpcDispatcher dispatcher, PeerCredentials peer, Func<uint, string> userName) : IDisposable
{
    public static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(15);

    /// <summary>A client that does not take a response within this time is dropped.</summary>
    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(30);

    private const int SendChunkBytes = 16 * 1024;

    /// <summary>How long an announcement may take to reach a client that does not read.</summary>
    private static readonly TimeSpan AnnounceTimeout = TimeSpan.FromMilliseconds(200);

    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private RpcSession? _session;
    private int _inFlight;

    public PeerCredentials Peer => peer;

    /// <summary>
    /// Only follows streams, with no request under way: a re-exec need not wait for it to end (it reconnects
    /// to the next image when told so).
    /// </summary>
    public bool OnlyFollows => _session is { HasStreams: true } && Volatile.Read(ref _inFlight) == 0;

    /// <summary>The daemon re-executes: <paramref name="notice"/> tells the client (a follower reconnects and resumes).</summary>
    public async Task AnnounceAsync(byte[] notice)
    {
        if (_session is { HelloDone: true })
        {
            try
            {
                await WriteAsync(notice, AnnounceTimeout);
            }
            catch (Exception)
            {
                // A client that does not read hears of it by the end of its connection.
            }
        }
    }

    public async Task RunAsync(CancellationToken stopping)
    {
        using var session = new RpcSession(WriteAsync, requiresHello: true, peer: peer.ToString(), actor: () => $"{userName(peer.Uid)} via pmctl");
        _session = session;
        using var quiet = new CancellationTokenSource(HelloTimeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, session.Closed, quiet.Token);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var reader = JsonLines.Reader(stream);
        try
        {
            await JsonLines.ReadAsync(reader, JsonRpc.MaxRequestBytes,
                async line =>
                {
                    if (session.HelloDone)
                    {
                        quiet.CancelAfter(Timeout.InfiniteTimeSpan); // a request that takes long (a stop's grace) is not idleness
                    }

                    Interlocked.Increment(ref _inFlight);
                    try
                    {
                        await HandleLineAsync(line, session);
                    }
                    finally
                    {
                        Interlocked.Decrement(ref _inFlight);
                    }

                    if (session.HelloDone)
                    {
                        // The idle clock restarts with each request; the hello deadline does not.
                        quiet.CancelAfter(session.HasStreams ? Timeout.InfiniteTimeSpan : IdleTimeout);
                    }
                },
                // Refuse the oversized request, skip the rest of its line, keep the connection.
                async () => await WriteAsync(JsonRpc.Error(null, RpcErrorCodes.InvalidRequest, $"request line exceeds {JsonRpc.MaxRequestBytes} bytes")),
                linked.Token);
        }
        catch (OperationCanceledException) when (quiet.IsCancellationRequested && !stopping.IsCancellationRequested && !session.Closed.IsCancellationRequested)
        {
            await SayGoodbyeAsync(session.HelloDone
                ? $"no request for {IdleTimeout.TotalMinutes:0} minutes; closing the connection"
                : $"no hello within {HelloTimeout.TotalSeconds:0} s; closing the connection");
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // The client went away, or the daemon is stopping.
        }
        finally
        {
            await reader.CompleteAsync();
        }
    }

    private async Task HandleLineAsync(ReadOnlyMemory<byte> line, RpcSession session)
    {
        var trimmed = line.Span.TrimEnd((byte)'\r');
        if (trimmed.Trim(" \t"u8).IsEmpty)
        {
            return;
        }

        try
        {
            if (await dispatcher.HandleAsync(line[..trimmed.Length], session) is { } response)
            {
                await WriteAsync(response);
            }
        }
        finally
        {
            session.ResponseSent();
        }
    }

    /// <summary>Tells a client why it is being dropped (best effort: it may not be reading).</summary>
    private async Task SayGoodbyeAsync(string reason)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await socket.SendAsync(JsonRpc.Error(null, RpcErrorCodes.Unavailable, reason), SocketFlags.None, timeout.Token);
        }
        catch (Exception)
        {
            // It is going away anyway.
        }
    }

    /// <summary>
    /// Sends through a small pooled buffer: the socket keeps a reference to the last buffer it sent, which
    /// would otherwise hold a reply of megabytes in memory for as long as the client stays connected.
    /// </summary>
    private ValueTask WriteAsync(byte[] bytes) => WriteAsync(bytes, WriteTimeout);

    private async ValueTask WriteAsync(byte[] bytes, TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        await _writeLock.WaitAsync(timeout.Token);
        var chunk = ArrayPool<byte>.Shared.Rent(SendChunkBytes);
        try
        {
            for (var sent = 0; sent < bytes.Length;)
            {
                var length = Math.Min(chunk.Length, bytes.Length - sent);
                bytes.AsSpan(sent, length).CopyTo(chunk);
                sent += await socket.SendAsync(chunk.AsMemory(0, length), SocketFlags.None, timeout.Token);
            }
        }
        catch (Exception)
        {
            Dispose(); // a client that cannot take its responses is dropped
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
            _writeLock.Release();
        }
    }

    public void Dispose()
    {
        _session?.Dispose();
        socket.Dispose();
    }
}
