using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using ProcessMaster.Core.Faults;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Supervision.Ports;

namespace ProcessMaster.Core.Events;

/// <summary>
/// The event history: a bounded in-memory ring for queries and followers, appended to a bounded,
/// rotated JSON-lines file so history survives daemon restarts. Each event also goes to the daemon log.
/// </summary>
public sealed class EventLog : IEventSink
{
    public const int DefaultCapacity = 2000;
    public const long FileRotationBytes = 4 * 1024 * 1024;
    public const int FileBackups = 2;

    /// <summary>0640: events quote what services and configuration files said, which is not for every local user.</summary>
    public const int FileMode = 0x1A0;

    private readonly Lock _lock = new();
    private readonly LinkedList<EventEntry> _ring = new();
    private readonly int _capacity;
    private readonly string? _file;
    private readonly TimeProvider _time;
    private readonly Action<EventEntry>? _mirror;
    private readonly List<Action<EventEntry>> _followers = [];
    private SafeFileHandle? _handle;
    private long _fileBytes;
    private long _recorded;

    /// <param name="file">The persistent file (null keeps history in memory only).</param>
    /// <param name="mirror">Also called for each event, e.g. to write the daemon log.</param>
    public EventLog(string? file, TimeProvider time, Action<EventEntry>? mirror = null, int capacity = DefaultCapacity)
    {
        _file = file;
        _time = time;
        _mirror = mirror;
        _capacity = capacity;
        if (file is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            LoadHistory(file);
        }
    }

    /// <summary>Events recorded since this daemon image started.</summary>
    public long Recorded => Interlocked.Read(ref _recorded);

    public void Record(string? app, string component, string message)
    {
        Interlocked.Increment(ref _recorded);
        var entry = new EventEntry(_time.GetUtcNow(), app, component, message);
        Action<EventEntry>[] followers;
        lock (_lock)
        {
            _ring.AddLast(entry);
            if (_ring.Count > _capacity)
            {
                _ring.RemoveFirst();
            }

            Persist(entry);
            followers = [.. _followers];
        }

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

    /// <summary>The last <paramref name="count"/> events, oldest first, optionally of one app.</summary>
    public IReadOnlyList<EventEntry> Last(int count, string? app = null)
    {
        lock (_lock)
        {
            var result = new List<EventEntry>(Math.Min(count, _ring.Count));
            for (var node = _ring.Last; node is not null && result.Count < count; node = node.Previous)
            {
                if (app is null || node.Value.App == app)
                {
                    result.Add(node.Value);
                }
            }

            result.Reverse();
            return result;
        }
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
            history = Last(count, app);
            if (after is { } since)
            {
                var later = _ring.Where(e => e.Time > since && (app is null || e.App == app)).ToList();
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

    private void Persist(EventEntry entry)
    {
        if (_file is null)
        {
            return;
        }

        try
        {
            var line = UnpooledJson.Serialize(entry, CoreJsonContext.Default.EventEntry);
            if (_fileBytes + line.Length + 1 > FileRotationBytes)
            {
                _handle?.Dispose();
                _handle = null;
                Rotate(_file);
                _fileBytes = 0;
            }

            _handle ??= OpenForAppend(_file);
            RandomAccess.Write(_handle, [.. line, (byte)'\n'], fileOffset: 0); // O_APPEND
            _fileBytes += line.Length + 1;
        }
        catch (Exception)
        {
            // History on disk is best effort (a full disk, say); the ring still has the event.
            _handle?.Dispose();
            _handle = null;
        }
    }

    /// <summary>Opens the history file for appending with mode 0640 (also fixing an older, wider mode).</summary>
    private SafeFileHandle OpenForAppend(string file)
    {
        var fd = Libc.Open(file, Libc.O_WRONLY | Libc.O_APPEND | Libc.O_CREAT | Libc.O_NOFOLLOW | Libc.O_CLOEXEC | Libc.O_NONBLOCK, FileMode);
        if (fd < 0)
        {
            throw new IOException($"{file}: {Linux.LastErrorText()}");
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        Libc.FChmod(fd, FileMode);
        _fileBytes = RandomAccess.GetLength(handle);
        return handle;
    }

    private static void Rotate(string file)
    {
        for (var i = FileBackups; i >= 1; i--)
        {
            var from = i == 1 ? file : $"{file}.{i - 1}";
            if (File.Exists(from))
            {
                File.Move(from, $"{file}.{i}", overwrite: true);
            }
        }
    }

    private void LoadHistory(string file)
    {
        var files = Enumerable.Range(1, FileBackups).Reverse().Select(i => $"{file}.{i}").Append(file);
        foreach (var path in files.Where(File.Exists))
        {
            foreach (var line in File.ReadLines(path))
            {
                try
                {
                    if (JsonSerializer.Deserialize(line, CoreJsonContext.Default.EventEntry) is { } entry)
                    {
                        _ring.AddLast(entry);
                        if (_ring.Count > _capacity)
                        {
                            _ring.RemoveFirst();
                        }
                    }
                }
                catch (JsonException)
                {
                    // A torn last line from a crash; skip it.
                }
            }
        }
    }

    private sealed class Unsubscriber(Action dispose) : IDisposable
    {
        public void Dispose() => dispose();
    }
}
