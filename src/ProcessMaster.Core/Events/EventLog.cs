using System.Text;
using System.Text.Json;

namespace ProcessMaster.Core.Events;

/// <summary>
/// The event history: a bounded in-memory ring for queries and followers, appended to a bounded,
/// rotated JSON-lines file so history survives daemon restarts. Each event also goes to the daemon log.
/// </summary>
public sealed class EventLog
{
    public const int DefaultCapacity = 2000;
    public const long FileRotationBytes = 4 * 1024 * 1024;
    public const int FileBackups = 2;

    private readonly Lock _lock = new();
    private readonly LinkedList<EventEntry> _ring = new();
    private readonly int _capacity;
    private readonly string? _file;
    private readonly TimeProvider _time;
    private readonly Action<EventEntry>? _mirror;
    private readonly List<Action<EventEntry>> _followers = [];
    private long _fileBytes;

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

    public void Record(string? app, string component, string message)
    {
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

        _mirror?.Invoke(entry);
        foreach (var follower in followers)
        {
            follower(entry);
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

    /// <summary>Calls <paramref name="follower"/> for every new event until the subscription is disposed.</summary>
    public IDisposable Follow(Action<EventEntry> follower)
    {
        lock (_lock)
        {
            _followers.Add(follower);
        }

        return new Unsubscriber(() =>
        {
            lock (_lock)
            {
                _followers.Remove(follower);
            }
        });
    }

    private void Persist(EventEntry entry)
    {
        if (_file is null)
        {
            return;
        }

        try
        {
            var line = JsonSerializer.Serialize(entry, CoreJsonContext.Default.EventEntry) + "\n";
            if (_fileBytes + line.Length > FileRotationBytes)
            {
                Rotate(_file);
            }

            File.AppendAllText(_file, line, Encoding.UTF8);
            _fileBytes += line.Length;
        }
        catch (IOException)
        {
            // History on disk is best effort; the ring still has the event.
        }
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

        _fileBytes = File.Exists(file) ? new FileInfo(file).Length : 0;
    }

    private sealed class Unsubscriber(Action dispose) : IDisposable
    {
        public void Dispose() => dispose();
    }
}
