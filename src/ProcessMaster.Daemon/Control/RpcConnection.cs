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
internal sealed class RpcConnection(Socket socket, RpcDispatcher dispatcher, PeerCredentials peer) : IDisposable
{
    public static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(15);

    /// <summary>A client that does not take a response within this time is dropped.</summary>
    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(30);

    private const int ReceiveBufferBytes = 16 * 1024;
    private const int KeptLineCapacity = 64 * 1024;

    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private RpcSession? _session;

    public PeerCredentials Peer => peer;

    public async Task RunAsync(CancellationToken stopping)
    {
        using var session = new RpcSession(WriteAsync, requiresHello: true, peer: peer.ToString());
        _session = session;
        using var quiet = new CancellationTokenSource(HelloTimeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, session.Closed, quiet.Token);
        var line = new MemoryStream();
        var discarding = false;
        while (true)
        {
            byte[]? buffer = null;
            int n;
            try
            {
                // Wait for data without a buffer, then borrow one only while there is something to read.
                await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, linked.Token);
                buffer = ArrayPool<byte>.Shared.Rent(ReceiveBufferBytes);
                n = await socket.ReceiveAsync(buffer, SocketFlags.None, linked.Token);
            }
            catch (OperationCanceledException) when (quiet.IsCancellationRequested && !stopping.IsCancellationRequested && !session.Closed.IsCancellationRequested)
            {
                await SayGoodbyeAsync(session.HelloDone
                    ? $"no request for {IdleTimeout.TotalMinutes:0} minutes; closing the connection"
                    : $"no hello within {HelloTimeout.TotalSeconds:0} s; closing the connection");
                Return(buffer);
                return;
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                Return(buffer);
                return;
            }

            try
            {
                if (n == 0)
                {
                    return;
                }

                var start = 0;
                for (var i = 0; i < n; i++)
                {
                    if (buffer[i] != (byte)'\n')
                    {
                        continue;
                    }

                    if (!discarding)
                    {
                        line.Write(buffer, start, i - start);
                        if (session.HelloDone)
                        {
                            quiet.CancelAfter(Timeout.InfiniteTimeSpan); // a request that takes long (a stop's grace) is not idleness
                        }

                        await HandleLineAsync(line.GetBuffer().AsMemory(0, (int)line.Length), session);
                        if (session.HelloDone)
                        {
                            // The idle clock restarts with each request; the hello deadline does not.
                            quiet.CancelAfter(session.HasStreams ? Timeout.InfiniteTimeSpan : IdleTimeout);
                        }
                    }

                    discarding = false;
                    line = line.Capacity > KeptLineCapacity ? new MemoryStream() : line;
                    line.SetLength(0);
                    start = i + 1;
                }

                if (!discarding)
                {
                    line.Write(buffer, start, n - start);
                    if (line.Length > JsonRpc.MaxRequestBytes)
                    {
                        // Refuse the oversized request, skip the rest of its line, keep the connection.
                        discarding = true;
                        line = new MemoryStream();
                        await WriteAsync(JsonRpc.Error(null, RpcErrorCodes.InvalidRequest,
                            $"request line exceeds {JsonRpc.MaxRequestBytes} bytes"));
                    }
                }
            }
            finally
            {
                Return(buffer);
            }
        }
    }

    private static void Return(byte[]? buffer)
    {
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
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
    private async ValueTask WriteAsync(byte[] bytes)
    {
        await _writeLock.WaitAsync();
        var chunk = ArrayPool<byte>.Shared.Rent(ReceiveBufferBytes);
        try
        {
            using var timeout = new CancellationTokenSource(WriteTimeout);
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
