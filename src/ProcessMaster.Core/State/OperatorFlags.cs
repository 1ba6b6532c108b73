using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using ProcessMaster.Core.Configuration.Values;

namespace ProcessMaster.Core.State;

/// <summary>A label an operator put on a service (<c>maintenance</c>, <c>ticket-4711</c>), until it is removed or expires.</summary>
public sealed record OperatorFlag(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("expires_at")] DateTimeOffset? ExpiresAt);

/// <summary>The file <c>state/flags.json</c>: each service's flags.</summary>
public sealed record FlagsDocument(
    [property: JsonPropertyName("version")] int Version,
    [property: JsonPropertyName("services")] Dictionary<string, List<OperatorFlag>> Services);

/// <summary>
/// Operator flags, as the original has them: free-form labels with an optional time to live, kept in the
/// state directory across daemon restarts and re-execs. They only inform (status, console, events); nothing
/// in supervision reads them. One timer, armed for the earliest expiry, removes what expired and says so.
/// </summary>
public sealed class OperatorFlags : IDisposable
{
    public const int MaxNameLength = 20;
    public const int MaxPerService = 32;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, SortedDictionary<string, DateTimeOffset?>> _flags = new(StringComparer.Ordinal);
    private readonly CoalescedFileWriter _writer;
    private readonly TimeProvider _time;
    private readonly Action<string, string> _record;
    private readonly ITimer _expiry;

    /// <param name="record">Records an event about a service's flags: (service, message).</param>
    public OperatorFlags(string file, TimeProvider time, Action<string, string> record)
    {
        _time = time;
        _record = record;
        _writer = new CoalescedFileWriter(file, Render);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        _expiry = time.CreateTimer(_ => ExpireDue(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        try
        {
            if (File.Exists(file) && JsonSerializer.Deserialize(File.ReadAllText(file), CoreJsonContext.Default.FlagsDocument) is { } doc)
            {
                foreach (var (service, flags) in doc.Services)
                {
                    var mine = new SortedDictionary<string, DateTimeOffset?>(StringComparer.Ordinal);
                    foreach (var flag in flags.Where(f => Invalid(f.Name) is null).Take(MaxPerService))
                    {
                        mine[flag.Name] = flag.ExpiresAt;
                    }

                    _flags[service] = mine;
                }
            }
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            LoadError = $"flags file {file} unreadable ({e.Message}); starting without flags";
        }

        ExpireDue();
    }

    public string? LoadError { get; }

    /// <summary>Why <paramref name="flag"/> cannot be a flag, or null when it can: 1 to 20 of A-Z a-z 0-9 _ -.</summary>
    public static string? Invalid(string flag) =>
        flag.Length is 0 or > MaxNameLength || !flag.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-')
            ? $"'{flag}' is not a flag: use 1 to {MaxNameLength} letters, digits, '_' or '-'"
            : null;

    /// <summary>The flags of <paramref name="service"/>, by name.</summary>
    public IReadOnlyList<OperatorFlag> Of(string service)
    {
        lock (_lock)
        {
            return _flags.TryGetValue(service, out var mine) ? [.. mine.Select(f => new OperatorFlag(f.Key, f.Value))] : [];
        }
    }

    /// <summary>Sets <paramref name="flags"/> (again: with the new time to live); completes once the file holds them.</summary>
    public Task SetAsync(string service, IReadOnlyCollection<string> flags, TimeSpan? ttl, string by)
    {
        var expires = ttl is { } t ? _time.GetUtcNow() + t : (DateTimeOffset?)null;
        lock (_lock)
        {
            var mine = _flags.GetValueOrDefault(service);
            if ((mine?.Keys ?? Enumerable.Empty<string>()).Union(flags, StringComparer.Ordinal).Count() > MaxPerService)
            {
                throw new ArgumentException($"{service} would have more than {MaxPerService} flags");
            }

            if (mine is null)
            {
                mine = new SortedDictionary<string, DateTimeOffset?>(StringComparer.Ordinal);
                _flags[service] = mine;
            }

            foreach (var flag in flags)
            {
                mine[flag] = expires;
            }

            Rearm();
        }

        _record(service, $"flag {string.Join(',', flags)} set by {by}{(expires is { } at ? $" until {at.ToLocalTime():yyyy-MM-dd HH:mm:ss} ({DurationText.Format(ttl!.Value)})" : "")}");
        return _writer.SaveAsync();
    }

    /// <summary>Removes <paramref name="flags"/>; returns those it did not have.</summary>
    public (Task Saved, List<string> Missing) Remove(string service, IReadOnlyCollection<string> flags, string by)
    {
        List<string> removed;
        lock (_lock)
        {
            var mine = _flags.GetValueOrDefault(service);
            removed = [.. flags.Where(f => mine?.Remove(f) == true)];
            if (mine is { Count: 0 })
            {
                _flags.Remove(service);
            }

            Rearm();
        }

        var missing = flags.Except(removed, StringComparer.Ordinal).ToList();
        if (removed.Count == 0)
        {
            return (Task.CompletedTask, missing);
        }

        _record(service, $"flag {string.Join(',', removed)} removed by {by}");
        return (_writer.SaveAsync(), missing);
    }

    /// <summary>Forgets the flags of services that are no longer defined.</summary>
    public Task RetainAsync(IEnumerable<string> services)
    {
        lock (_lock)
        {
            var keep = services.ToHashSet(StringComparer.Ordinal);
            var gone = _flags.Keys.Where(s => !keep.Contains(s)).ToList();
            foreach (var service in gone)
            {
                _flags.Remove(service);
            }

            return gone.Count > 0 ? _writer.SaveAsync() : Task.CompletedTask;
        }
    }

    public Task FlushAsync() => _writer.FlushAsync();

    public void Dispose() => _expiry.Dispose();

    private void ExpireDue()
    {
        var now = _time.GetUtcNow();
        var expired = new List<(string Service, string Flag)>();
        lock (_lock)
        {
            foreach (var (service, mine) in _flags)
            {
                foreach (var (flag, at) in mine.Where(f => f.Value <= now).ToList())
                {
                    mine.Remove(flag);
                    expired.Add((service, flag));
                }
            }

            foreach (var service in _flags.Where(kv => kv.Value.Count == 0).Select(kv => kv.Key).ToList())
            {
                _flags.Remove(service);
            }

            Rearm();
        }

        foreach (var (service, flag) in expired)
        {
            _record(service, $"flag {flag} expired");
        }

        if (expired.Count > 0)
        {
            _ = _writer.SaveAsync();
        }
    }

    /// <summary>Arms the timer for the earliest expiry (under the lock).</summary>
    private void Rearm()
    {
        var next = _flags.Values.SelectMany(m => m.Values).Where(v => v is not null).Min();
        // A timer's due time is bounded (49 days); a later expiry is looked at again within a day.
        var due = next is { } at ? TimeSpan.FromTicks(Math.Clamp((at - _time.GetUtcNow()).Ticks, 0, TimeSpan.TicksPerDay)) : Timeout.InfiniteTimeSpan;
        _expiry.Change(due, Timeout.InfiniteTimeSpan);
    }

    private void Render(IBufferWriter<byte> output)
    {
        lock (_lock)
        {
            var document = new FlagsDocument(1, _flags.ToDictionary(kv => kv.Key, kv => kv.Value.Select(f => new OperatorFlag(f.Key, f.Value)).ToList(), StringComparer.Ordinal));
            using (var json = new Utf8JsonWriter(output))
            {
                JsonSerializer.Serialize(json, document, CoreJsonContext.Default.FlagsDocument);
            }

            output.Write("\n"u8);
        }
    }
}
