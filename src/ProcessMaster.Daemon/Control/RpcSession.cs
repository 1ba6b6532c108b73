namespace ProcessMaster.Daemon.Control;

/// <summary>
/// One client's conversation with the dispatcher: a unix-socket connection or a web console session.
/// Streams it subscribes to end when the session closes.
/// </summary>
internal sealed class RpcSession(Func<byte[], ValueTask> send, bool requiresHello, string peer) : IDisposable
{
    private readonly CancellationTokenSource _closed = new();
    private readonly List<IDisposable> _subscriptions = [];

    /// <summary>Socket clients must say <c>hello</c> with a matching build first; the web authenticates instead.</summary>
    public bool RequiresHello { get; } = requiresHello;

    public bool HelloDone { get; set; }

    /// <summary>Who is talking, for the daemon log.</summary>
    public string Peer { get; } = peer;

    public CancellationToken Closed => _closed.Token;

    /// <summary>Sends a notification line; a failing send closes the session.</summary>
    public async ValueTask NotifyAsync(byte[] line)
    {
        if (_closed.IsCancellationRequested)
        {
            return;
        }

        try
        {
            await send(line);
        }
        catch (Exception)
        {
            Dispose();
        }
    }

    public void Own(IDisposable subscription)
    {
        lock (_subscriptions)
        {
            if (_closed.IsCancellationRequested)
            {
                subscription.Dispose();
                return;
            }

            _subscriptions.Add(subscription);
        }
    }

    public void Dispose()
    {
        lock (_subscriptions)
        {
            if (_closed.IsCancellationRequested)
            {
                return;
            }

            _closed.Cancel();
            foreach (var subscription in _subscriptions)
            {
                subscription.Dispose();
            }

            _subscriptions.Clear();
        }
    }
}
