using System.Threading.Channels;

namespace ProcessMaster.Daemon.Control;

/// <summary>
/// Buffers a stream's notifications for one session and writes them in order, so a publisher never
/// waits for a client. A client that falls more than <see cref="Capacity"/> notifications behind is dropped.
/// </summary>
internal sealed class NotificationQueue : IDisposable
{
    public const int Capacity = 10_000;

    private readonly Channel<byte[]> _channel = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(Capacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails when full instead of blocking
    });

    private readonly RpcSession _session;

    public NotificationQueue(RpcSession session)
    {
        _session = session;
        _ = Task.Run(PumpAsync);
    }

    public void Enqueue(byte[] line)
    {
        if (!_channel.Writer.TryWrite(line))
        {
            _session.Dispose(); // too slow: drop the client rather than buffer without bound
        }
    }

    private async Task PumpAsync()
    {
        await foreach (var line in _channel.Reader.ReadAllAsync())
        {
            await _session.NotifyAsync(line);
        }
    }

    public void Dispose() => _channel.Writer.TryComplete();
}
