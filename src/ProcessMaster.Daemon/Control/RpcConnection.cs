using System.Net.Sockets;
using ProcessMaster.Protocol;

namespace ProcessMaster.Daemon.Control;

/// <summary>One client connection: reads request lines, answers in order, and carries stream notifications.</summary>
internal sealed class RpcConnection(Socket socket, RpcDispatcher dispatcher) : IDisposable
{
    /// <summary>A client that does not take a response within this time is dropped.</summary>
    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private RpcSession? _session;

    public async Task RunAsync(CancellationToken stopping)
    {
        using var session = new RpcSession(WriteAsync, requiresHello: true, peer: PeerDescription());
        _session = session;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, session.Closed);
        var buffer = new byte[64 * 1024];
        var line = new MemoryStream();
        var discarding = false;
        while (true)
        {
            int n;
            try
            {
                n = await socket.ReceiveAsync(buffer, SocketFlags.None, linked.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

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
                    await HandleLineAsync(line.GetBuffer().AsMemory(0, (int)line.Length), session);
                }

                discarding = false;
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
                    line.SetLength(0);
                    await WriteAsync(JsonRpc.Error(null, RpcErrorCodes.InvalidRequest,
                        $"request line exceeds {JsonRpc.MaxRequestBytes} bytes"));
                }
            }
        }
    }

    private async Task HandleLineAsync(ReadOnlyMemory<byte> line, RpcSession session)
    {
        var trimmed = line.Span.TrimEnd((byte)'\r');
        if (trimmed.Trim(" \t"u8).IsEmpty)
        {
            return;
        }

        if (await dispatcher.HandleAsync(line[..trimmed.Length], session) is { } response)
        {
            await WriteAsync(response);
        }
    }

    private async ValueTask WriteAsync(byte[] bytes)
    {
        await _writeLock.WaitAsync();
        try
        {
            using var timeout = new CancellationTokenSource(WriteTimeout);
            await socket.SendAsync(bytes, SocketFlags.None, timeout.Token);
        }
        catch (Exception)
        {
            Dispose(); // a client that cannot take its responses is dropped
            throw;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private string PeerDescription()
    {
        try
        {
            return socket.RemoteEndPoint?.ToString() is { Length: > 0 } endpoint ? endpoint : "unix";
        }
        catch (SocketException)
        {
            return "unix";
        }
    }

    public void Dispose()
    {
        _session?.Dispose();
        socket.Dispose();
    }
}
