using System.Threading.Channels;

namespace ProcessMaster.Daemon.Control;

/// <summary>
/// A session's live stream: buffers notifications and writes them in order once the reply that opened
/// the stream has gone out, so a publisher never waits for a client. The one slow-client rule, whatever
/// the transport: a client more than <see cref="Capacity"/> notifications or <see cref="CapacityBytes"/>
/// behind is dropped (its connection or event stream is closed; nothing is silently skipped).
/// </summary>
internal sealed class NotificationQueue : IDisposable
{
    public const int Capacity = 10_000;
    public const long CapacityBytes = 4 * 1024 * 1024;

    private readonly Channel<byte[]> _channel = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(Capacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails when full instead of blocking
    });

    private readonly RpcSession _session;
    private long _queuedBytes;
    private int _started;

    public NotificationQueue(RpcSession session)
    {
        _session = session;
    }

    public void Enqueue(byte[] line)
    {
        if (Interlocked.Add(ref _queuedBytes, line.Length) > CapacityBytes || !_channel.Writer.TryWrite(line))
        {
            _session.Dispose(); // too slow: drop the client rather than buffer without bound
        }
    }

    /// <summary>Starts writing (once the reply that opened the stream was sent).</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            _ = Task.Run(PumpAsync);
        }
    }

    private async Task PumpAsync()
    {
        await foreach (var line in _channel.Reader.ReadAllAsync())
        {
            Interlocked.Add(ref _queuedBytes, -line.Length);
            await _session.NotifyAsync(line);
        }
    }

    public void Dispose() => _channel.Writer.TryComplete();
}
