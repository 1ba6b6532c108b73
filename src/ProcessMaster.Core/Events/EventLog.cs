using ProcessMaster.Core.Faults;
using ProcessMaster.Core.Supervision.Ports;

namespace ProcessMaster.Core.Events;

/// <summary>
/// The event history, for queries and followers, kept so that it survives daemon restarts. It has two parts
/// (<see cref="EventChannel"/>): what the daemon, its configuration and its operators do (<c>events.jsonl</c>),
/// and what services do (<c>events.services.jsonl</c>), each with its own ring and files, read together in the
/// order they happened. A service's events pass its <see cref="ServiceEventGate"/> first (repeats collapsed, a
/// budget per service), so no service can flush the history of others nor the operator audit trail. Each event
/// also goes to the daemon log.
/// </summary>
public sealed class EventLog : IEventSink
{
    public const int DaemonCapacity = 1000;
    public const int ServiceCapacity = 2000;

    private static readonly TimeSpan FlushSpacing = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    private readonly EventChannel _daemon;
    private readonly EventChannel _services;
    private readonly ServiceEventGate _gate;
    private readonly ITimer _flush;
    private readonly TimeProvider _time;
    private readonly Action<EventEntry>? _mirror;
    private readonly List<Action<EventEntry>> _followers = [];
    private bool _flushArmed;
    private long _seq;
    private long _recorded;

    /// <param name="file">The daemon's history file; the services' is beside it (null keeps history in memory only).</param>
    /// <param name="mirror">Also called for each event, e.g. to write the daemon log.</param>
    public EventLog(string? file, TimeProvider time, Action<EventEntry>? mirror = null)
    {
        _time = time;
        _mirror = mirror;
        _gate = new ServiceEventGate(time);
        _flush = time.CreateTimer(_ => FlushGate(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _daemon = new EventChannel(file, DaemonCapacity);
        _services = new EventChannel(file is null ? null : ServicesFile(file), ServiceCapacity);
        if (file is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            LoadHistory();
        }
    }

    /// <summary>The services' history file beside <paramref name="file"/> (<c>events.jsonl</c> → <c>events.services.jsonl</c>).</summary>
    public static string ServicesFile(string file) => Path.ChangeExtension(file, null) + ".services" + Path.GetExtension(file);

    /// <summary>Events recorded since this daemon image started.</summary>
    public long Recorded => Interlocked.Read(ref _recorded);

    /// <summary>Events of services held back by their budgets since this daemon image started.</summary>
    public long Dropped
    {
        get
        {
            lock (_lock)
            {
                return _gate.Dropped;
            }
        }
    }

    /// <summary>Lines of the history files that could not be read back at start (torn, overlong or malformed).</summary>
    public int SkippedAtLoad { get; private set; }

    public void Record(string? app, Event e, EventOrigin origin = EventOrigin.Daemon)
    {
        var recorded = new List<EventEntry>(2);
        lock (_lock)
        {
            if (origin == EventOrigin.Service && app is not null)
            {
                var admitted = new List<(string App, Event Event)>(2);
                _gate.Admit(app, e, admitted);
                AppendAll(admitted, recorded);
                ArmFlush();
            }
            else
            {
                recorded.Add(Append(_daemon, app, e));
            }
        }

        Publish(recorded);
    }

    private EventEntry Append(EventChannel channel, string? app, Event e)
    {
        var entry = new EventEntry(_time.GetUtcNow(), app, e);
        channel.Add(new NumberedEvent(++_seq, entry));
        return entry;
    }

    private void AppendAll(List<(string App, Event Event)> admitted, List<EventEntry> recorded)
    {
        foreach (var (app, e) in admitted)
        {
            recorded.Add(Append(_services, app, e));
        }
    }

    private void ArmFlush()
    {
        if (!_flushArmed && _gate.Pending)
        {
            _flushArmed = true;
            _flush.Change(FlushSpacing, Timeout.InfiniteTimeSpan);
        }
    }

    private void FlushGate()
    {
        var recorded = new List<EventEntry>();
        lock (_lock)
        {
            _flushArmed = false;
            var admitted = new List<(string App, Event Event)>();
            _gate.Flush(admitted);
            AppendAll(admitted, recorded);
            ArmFlush();
        }

        Publish(recorded);
    }

    private void Publish(List<EventEntry> recorded)
    {
        if (recorded.Count == 0)
        {
            return;
        }

        Interlocked.Add(ref _recorded, recorded.Count);
        Action<EventEntry>[] followers;
        lock (_lock)
        {
            followers = [.. _followers];
        }

        foreach (var entry in recorded)
        {
            if (_mirror is { } mirror)
            {
                Background.Run("writing the daemon log", () => mirror(entry), _ => { });
            }

            foreach (var follower in followers)
            {
                // A follower is some client's stream; its failure must not reach whoever recorded the event.
                Background.Run("an event follower", () => follower(entry), _ => { });
            }
        }
    }

    /// <summary>The last <paramref name="count"/> events, oldest first, optionally of one app.</summary>
    public IReadOnlyList<EventEntry> Last(int count, string? app = null)
    {
        lock (_lock)
        {
            return LastLocked(count, app);
        }
    }

    private List<EventEntry> LastLocked(int count, string? app)
    {
        var result = new List<EventEntry>(Math.Min(count, _daemon.Ring.Count + _services.Ring.Count));
        var daemon = _daemon.Ring.Last;
        var services = _services.Ring.Last;
        while (result.Count < count && (daemon is not null || services is not null))
        {
            // Newest first, from whichever part holds the later one.
            LinkedListNode<NumberedEvent> node;
            if (services is null || (daemon is not null && daemon.Value.Seq > services.Value.Seq))
            {
                node = daemon!;
                daemon = daemon!.Previous;
            }
            else
            {
                node = services;
                services = services.Previous;
            }

            if (app is null || node.Value.Entry.App == app)
            {
                result.Add(node.Value.Entry);
            }
        }

        result.Reverse();
        return result;
    }

    /// <summary>
    /// Calls <paramref name="follower"/> for every new event until the subscription is disposed; the history
    /// returned with it (the last <paramref name="count"/> events of <paramref name="app"/>, and every one
    /// later than <paramref name="after"/>) ends exactly where the first event the follower hears begins.
    /// </summary>
    public (IDisposable Subscription, IReadOnlyList<EventEntry> History) Follow(Action<EventEntry> follower, int count = 0, string? app = null, DateTimeOffset? after = null)
    {
        IReadOnlyList<EventEntry> history;
        lock (_lock)
        {
            history = LastLocked(count, app);
            if (after is { } since)
            {
                var later = LastLocked(int.MaxValue, app).Where(e => e.Time > since).ToList();
                history = later.Count > history.Count ? later : history;
            }

            _followers.Add(follower);
        }

        return (new Unsubscriber(() =>
        {
            lock (_lock)
            {
                _followers.Remove(follower);
            }
        }), history);
    }

    /// <summary>Both parts' files, numbered in the order their events happened.</summary>
    private void LoadHistory()
    {
        var daemon = _daemon.ReadHistory(out var skippedDaemon);
        var services = _services.ReadHistory(out var skippedServices);
        SkippedAtLoad = skippedDaemon + skippedServices;
        var all = daemon.Select(e => (Channel: _daemon, Entry: e)).Concat(services.Select(e => (Channel: _services, Entry: e)))
            .OrderBy(e => e.Entry.Time);
        foreach (var (channel, entry) in all)
        {
            channel.Ring.AddLast(new NumberedEvent(++_seq, entry));
        }
    }

    private sealed class Unsubscriber(Action dispose) : IDisposable
    {
        public void Dispose() => dispose();
    }
}
