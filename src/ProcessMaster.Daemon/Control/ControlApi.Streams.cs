using ProcessMaster.Protocol;

namespace ProcessMaster.Daemon.Control;

/// <summary>
/// The live streams (<c>logs.follow</c>, <c>events.follow</c>, <c>status.follow</c>), one machinery for
/// every transport: the control socket, and the web console's Server-Sent Events, which carry the same
/// JSON-RPC messages. A session has one notification queue, whatever it follows, and counts once
/// against <see cref="MaxStreamingSessions"/>.
/// </summary>
internal sealed partial class ControlApi
{
    public const int MaxStreamingSessions = 64;

    /// <summary>The shortest <c>interval_ms</c> of <c>status.follow</c> (0 means changes only).</summary>
    public const int MinStatusIntervalMs = 500;

    private int _streamingSessions;

    /// <summary>The session's notification queue, opened on its first follow.</summary>
    private NotificationQueue OpenStream(RpcSession session, string method)
    {
        if (!session.CanStream)
        {
            throw new RpcException(RpcErrorCodes.InvalidRequest,
                $"{method} streams notifications: call it on the control socket (pmctl) or through the web console's event streams, not /rpc");
        }

        lock (session)
        {
            if (session.Notifications is { } open)
            {
                return open;
            }

            if (Interlocked.Increment(ref _streamingSessions) > MaxStreamingSessions)
            {
                Interlocked.Decrement(ref _streamingSessions);
                throw new RpcException(RpcErrorCodes.Unavailable, $"too many concurrent live streams (limit {MaxStreamingSessions}); try again shortly");
            }

            session.Own(new Releaser(() => Interlocked.Decrement(ref _streamingSessions)));
            var queue = new NotificationQueue(session);
            session.Notifications = queue;
            session.Own(queue);
            session.AfterResponse(queue.Start);
            return queue;
        }
    }

    private StatusResult StatusFollow(StatusFollowParams parameters, RpcSession session)
    {
        if (parameters.IntervalMs != 0 && parameters.IntervalMs < MinStatusIntervalMs)
        {
            throw RequestErrors.InvalidParams($"parameter 'interval_ms' must be 0 or at least {MinStatusIntervalMs}");
        }

        var queue = OpenStream(session, Methods.StatusFollow.Name);
        var pending = 0;
        void Push()
        {
            // Changes come in bursts: one status is built for all that arrived meanwhile.
            if (Interlocked.Exchange(ref pending, 1) == 0)
            {
                ThreadPool.QueueUserWorkItem(_ =>
                {
                    Volatile.Write(ref pending, 0);
                    if (!session.Closed.IsCancellationRequested)
                    {
                        queue.Enqueue(JsonRpc.Notification(Methods.StatusNotification.Name, Status(null), Methods.StatusNotification.Params));
                    }
                });
            }
        }

        manager.Changed += Push;
        session.Own(new Releaser(() => manager.Changed -= Push));
        if (parameters.IntervalMs > 0)
        {
            var every = TimeSpan.FromMilliseconds(parameters.IntervalMs);
            session.Own(manager.Context.Time.CreateTimer(_ => Push(), null, every, every));
        }

        return Status(null);
    }

    private sealed class Releaser(Action release) : IDisposable
    {
        public void Dispose() => release();
    }
}
