using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace ProcessMaster.Protocol;

/// <summary>
/// A JSON-RPC client over the daemon's unix socket: newline-delimited messages, many calls per
/// connection, server notifications delivered to <see cref="Notified"/>. Connecting performs the
/// co-built <c>hello</c> handshake with this binary's build identity.
/// </summary>
public sealed class RpcClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<long, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly Task _reader;
    private long _nextId;

    /// <summary>An error the daemon sent for the connection as a whole (id null): it refused or is closing it.</summary>
    private volatile RpcException? _connectionError;

    private RpcClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = Task.Run(ReadLoopAsync);
    }

    /// <summary>Called for every notification (method, params) on the reader task.</summary>
    public Action<string, JsonElement>? Notified { get; set; }

    /// <summary>Completes when the daemon closes the connection.</summary>
    public Task Closed => _reader;

    public static async Task<RpcClient> ConnectAsync(string socketPath, BuildIdentity identity, CancellationToken cancellation = default)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellation);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var client = new RpcClient(socket);
        try
        {
            await client.CallAsync(Methods.Hello, new HelloParams(identity.BuildTime, identity.BuildHost, identity.BuildId), cancellation);
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }

        return client;
    }

    public async Task<TResult> CallAsync<TParams, TResult>(RpcMethod<TParams, TResult> method, TParams parameters, CancellationToken cancellation = default)
    {
        var result = await CallRawAsync(method.Name, parameters, method.Params, cancellation);
        return result.Deserialize(method.Result) ?? throw new RpcException(RpcErrorCodes.InternalError, $"{method.Name}: empty result");
    }

    private async Task<JsonElement> CallRawAsync<TParams>(string method, TParams parameters, JsonTypeInfo<TParams> info, CancellationToken cancellation)
    {
        var id = Interlocked.Increment(ref _nextId);
        var completion = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = completion;
        await _writeLock.WaitAsync(cancellation);
        try
        {
            await _stream.WriteAsync(JsonRpc.Request(method, id, parameters, info), cancellation);
        }
        catch (IOException)
        {
            // The daemon may have refused the connection and closed it before we wrote: its reason beats "broken pipe".
            await Task.WhenAny(_reader, Task.Delay(TimeSpan.FromSeconds(1), cancellation));
            throw _connectionError ?? (Exception)new IOException("the daemon closed the connection");
        }
        finally
        {
            _writeLock.Release();
        }

        using var registration = cancellation.Register(() => completion.TrySetCanceled(cancellation));
        return await completion.Task;
    }

    private async Task ReadLoopAsync()
    {
        var reader = JsonLines.Reader(_stream);
        Exception? failure = null;
        try
        {
            await JsonLines.ReadAsync(reader, JsonRpc.MaxResponseBytes,
                line =>
                {
                    Dispatch(line);
                    return ValueTask.CompletedTask;
                },
                () => throw new IOException($"response longer than {JsonRpc.MaxResponseBytes} bytes"),
                CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or JsonException)
        {
            failure = e;
        }
        finally
        {
            await reader.CompleteAsync();
        }

        Exception closed = (Exception?)_connectionError ?? new IOException(failure is null
            ? "the daemon closed the connection"
            : $"connection to the daemon failed: {failure.Message}");
        foreach (var pending in _pending.Values)
        {
            pending.TrySetException(closed);
        }
    }

    private void Dispatch(ReadOnlyMemory<byte> line)
    {
        using var document = JsonDocument.Parse(line);
        var root = document.RootElement.Clone();
        if (root.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.Number && _pending.TryRemove(id.GetInt64(), out var pending))
        {
            if (root.TryGetProperty("error", out var error))
            {
                pending.TrySetException(new RpcException(
                    error.GetProperty("code").GetInt32(),
                    error.GetProperty("message").GetString() ?? "",
                    error.TryGetProperty("data", out var data) ? data : null));
            }
            else
            {
                pending.TrySetResult(root.GetProperty("result"));
            }
        }
        else if (root.TryGetProperty("method", out var method))
        {
            Notified?.Invoke(method.GetString() ?? "", root.TryGetProperty("params", out var p) ? p : default);
        }
        else if (root.TryGetProperty("error", out var connectionError) && (!root.TryGetProperty("id", out var none) || none.ValueKind == JsonValueKind.Null))
        {
            _connectionError = new RpcException(
                connectionError.GetProperty("code").GetInt32(), connectionError.GetProperty("message").GetString() ?? "");
            foreach (var waiting in _pending.Values)
            {
                waiting.TrySetException(_connectionError);
            }
        }
    }

    private int _disposed;

    /// <summary>Closes the connection; a second call does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }

        await _stream.DisposeAsync();
        try
        {
            await _reader;
        }
        catch (Exception)
        {
            // Closing: whatever the reader saw no longer matters.
        }
    }
}
