using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using ProcessMaster.Core.Supervision.Ports;

namespace ProcessMaster.Core.State;

/// <summary>The file's content: the machine state of every service, valid for one boot of the host.</summary>
/// <param name="Generation">How many daemons ran on this boot of the host, this one included.</param>
public sealed record SupervisionRecordsDocument(int Version, string BootId, int Generation, Dictionary<string, SavedService> Services);

/// <summary>What every version of the file begins with: which one it is.</summary>
internal sealed record DocumentVersion(int Version);

/// <summary>
/// <c>state/supervision.json</c>: each service's machine state, rewritten (coalesced) whenever one
/// changes, so a daemon that starts after a crash or SIGKILL adopts what runs. Records of an earlier
/// boot of the host are ignored: no process of theirs can still run, and monotonic times differ.
/// What the earlier daemon saved is written on, unchanged, until this daemon's supervisor of that
/// service saves or forgets it: a daemon killed while its supervisors are still adopting must leave
/// the next one every service that runs, not only those adopted so far.
/// </summary>
public sealed class SupervisionRecords : ISupervisionRecords
{
    /// <summary>2: the machine state by concern (run, stop, probes, …); version 1 (flat) is still read.</summary>
    private const int CurrentVersion = 2;

    /// <summary>
    /// At most a hundred writes a second, however fast services change (a crash loop beside a thousand
    /// services would otherwise rewrite the file without pause); what a crash can lose is the last 10 ms.
    /// </summary>
    private static readonly TimeSpan WriteSpacing = TimeSpan.FromMilliseconds(10);
    private readonly Lock _lock = new();
    private readonly Dictionary<string, SavedService> _current = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SavedService> _earlier = new(StringComparer.Ordinal);

    /// <summary>Services whose record in <see cref="_current"/> is still the earlier daemon's.</summary>
    private readonly HashSet<string> _carried = new(StringComparer.Ordinal);
    private readonly CoalescedFileWriter _writer;
    private readonly string _bootId;
    private readonly Action<string> _report;
    private bool _failing;

    public SupervisionRecords(string file, string bootId, Action<string> report)
    {
        _bootId = bootId;
        _report = report;
        // Not fsynced: it serves a daemon that starts after another crashed; after a host crash nothing of it runs.
        _writer = new CoalescedFileWriter(file, Render, durable: false, spacing: WriteSpacing);
        try
        {
            if (File.Exists(file) && Read(File.ReadAllText(file)).Document is { } doc && doc.BootId == bootId)
            {
                Generation = doc.Generation + 1;
                // A hand-edited or truncated file may lack members (a null part of the state, say): such a service is not adopted.
                foreach (var (app, record) in doc.Services ?? [])
                {
                    if (record is { Fingerprint: not null, State: { Run: not null, Stop: not null, Probes: not null, Schedule: not null, Dependencies: not null, Restarts: not null } })
                    {
                        _earlier[app] = record;
                        _current[app] = record;
                        _carried.Add(app);
                    }
                }
            }
        }
        catch (Exception e) when (e is JsonException or IOException or NotSupportedException)
        {
            LoadError = $"supervision state {file} unreadable ({e.Message}); processes of an earlier daemon are not adopted";
        }
    }

    public string? LoadError { get; }

    /// <summary>Which daemon this is since the host booted: 1 for the first, one more after each restart or crash.</summary>
    public int Generation { get; } = 1;

    /// <summary>Services an earlier daemon saved as running (or about to), which this one may adopt.</summary>
    public int EarlierActive => _earlier.Values.Count(r => r.State.State is not (Supervision.ServiceState.Stopped or Supervision.ServiceState.Failed or Supervision.ServiceState.Exited));

    /// <summary>Forgets what the earlier daemon saved: its processes cannot be adopted (their pipes are lost).</summary>
    public void DiscardEarlier()
    {
        lock (_lock)
        {
            _earlier.Clear();
            DropCarried(_ => true);
        }
    }

    public void Retain(IReadOnlySet<string> configured)
    {
        bool dropped;
        lock (_lock)
        {
            dropped = DropCarried(app => !configured.Contains(app));
        }

        if (dropped)
        {
            Write();
        }
    }

    /// <summary>Drops the earlier daemon's records that <paramref name="drop"/> names and no supervisor has saved over.</summary>
    private bool DropCarried(Func<string, bool> drop)
    {
        var names = _carried.Where(drop).ToList();
        foreach (var app in names)
        {
            _carried.Remove(app);
            _current.Remove(app);
            _earlier.Remove(app);
        }

        return names.Count > 0;
    }

    public SavedService? Saved(string app)
    {
        lock (_lock)
        {
            return _earlier.Remove(app, out var record) ? record : null;
        }
    }

    public void Save(string app, SavedService record)
    {
        lock (_lock)
        {
            _current[app] = record;
            _carried.Remove(app);
        }

        Write();
    }

    public void Forget(string app)
    {
        lock (_lock)
        {
            _current.Remove(app);
            _carried.Remove(app);
        }

        Write();
    }

    /// <summary>Completes once everything saved so far is on disk.</summary>
    public Task FlushAsync() => _writer.FlushAsync();

    private void Write() => _writer.SaveAsync().ContinueWith(t =>
    {
        // Said once per run of failures: a full disk must not flood the event log.
        var failed = t.Exception?.GetBaseException();
        if (failed is not null && !_failing)
        {
            _report($"cannot save the supervision state ({failed.Message}); a daemon started after a crash would restart running services instead of adopting them");
        }

        _failing = failed is not null;
    }, TaskScheduler.Default);

    private void Render(IBufferWriter<byte> output)
    {
        using var json = new Utf8JsonWriter(output);
        lock (_lock)
        {
            JsonSerializer.Serialize(json, new SupervisionRecordsDocument(CurrentVersion, _bootId, Generation, _current),
                SupervisionJsonContext.Default.SupervisionRecordsDocument);
        }
    }

    /// <summary>Why <paramref name="file"/> cannot be resumed from (null: it can); the dry run of a re-exec's new image.</summary>
    public static string? Validate(string file)
    {
        try
        {
            return Read(File.ReadAllText(file)) switch
            {
                (null, _) => $"{file} is empty",
                ({ } version, null) => $"{file} has version {version}; this build reads versions 1 and {CurrentVersion}",
                _ => null,
            };
        }
        catch (Exception e) when (e is JsonException or IOException or NotSupportedException or UnauthorizedAccessException)
        {
            return $"cannot read {file}: {e.Message}";
        }
    }

    /// <summary>
    /// Which version <paramref name="json"/> says it is, and the document when this build reads that
    /// version (1 or the current one).
    /// </summary>
    private static (int? Version, SupervisionRecordsDocument? Document) Read(string json) =>
        JsonSerializer.Deserialize(json, SupervisionJsonContext.Default.DocumentVersion)?.Version switch
        {
            null => (null, null),
            CurrentVersion => (CurrentVersion, JsonSerializer.Deserialize(json, SupervisionJsonContext.Default.SupervisionRecordsDocument)),
            1 => (1, JsonSerializer.Deserialize(json, SupervisionJsonContext.Default.SupervisionRecordsDocumentV1)?.Upgraded()),
            var other => (other, null),
        };


    /// <summary>This boot of the host, as the kernel names it.</summary>
    public static string CurrentBootId()
    {
        try
        {
            return File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}

/// <summary>Source-generated JSON for the supervision state (snake_case, enums by name, so a newer daemon reads it).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UseStringEnumConverter = true)]
[JsonSerializable(typeof(SupervisionRecordsDocument))]
[JsonSerializable(typeof(SupervisionRecordsDocumentV1))]
[JsonSerializable(typeof(DocumentVersion))]
internal sealed partial class SupervisionJsonContext : JsonSerializerContext;
