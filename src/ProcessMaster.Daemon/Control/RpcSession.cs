namespace ProcessMaster.Daemon.Control;

/// <summary>
/// One client's conversation with the dispatcher: a unix-socket connection or a web console request.
/// Streams it subscribes to end when the session closes.
/// </summary>
/// <param name="actor">Who asks, as the events name an operator (<c>root via pmctl</c>, <c>ops via web 10.0.0.5</c>); asked for only when an action records it.</param>
/// <param name="canStream">Whether notifications can reach the client (not so for a one-shot web /rpc request).</param>
internal sealed class RpcSession(Func<byte[], ValueTask> send, bool requiresHello, string peer, Func<string> actor, bool canStream = true) : IDisposable
{
    private readonly Lazy<string> _actor = new(actor);
    private readonly CancellationTokenSource _closed = new();
    private readonly List<IDisposable> _subscriptions = [];
    private readonly List<Action> _afterResponse = [];

    /// <summary>Socket clients must say <c>hello</c> with a matching build first; the web authenticates instead.</summary>
    public bool RequiresHello { get; } = requiresHello;

    public bool HelloDone { get; set; }

    /// <summary>Who is talking, for the daemon log.</summary>
    public string Peer { get; } = peer;

    /// <summary>Who is talking, for the events of what they ask for: a user the kernel or the login vouched for.</summary>
    public string Actor => _actor.Value;

    public CancellationToken Closed => _closed.Token;

    public bool CanStream { get; } = canStream;

    /// <summary>The live stream's queue, once the session follows something.</summary>
    public NotificationQueue? Notifications { get; set; }

    /// <summary>Whether a stream (a follow) is open: such a session is not idle while nothing is asked.</summary>
    public bool HasStreams
    {
        get
        {
            lock (_subscriptions)
            {
                return _subscriptions.Count > 0;
            }
        }
    }

    /// <summary>Set while this session holds a bulk-read permit until its current reply is sent.</summary>
    public bool HoldsBulkPermit { get; set; }

    /// <summary>Runs <paramref name="action"/> once the reply being built has been sent (or could not be).</summary>
    public void AfterResponse(Action action)
    {
        lock (_afterResponse)
        {
            _afterResponse.Add(action);
        }
    }

    /// <summary>The reply went out (or failed): releases what was held for it.</summary>
    public void ResponseSent()
    {
        Action[] actions;
        lock (_afterResponse)
        {
            actions = [.. _afterResponse];
            _afterResponse.Clear();
        }

        foreach (var action in actions)
        {
            action();
        }
    }

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

        ResponseSent();
    }
}
