using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using ProcessMaster.Core.Faults;
using ProcessMaster.Core.Supervision.Ports;

namespace ProcessMaster.Core.State;

/// <summary>What must survive a daemon restart: the services an operator stopped.</summary>
public sealed record PersistentStateDocument(
    [property: JsonPropertyName("version")] int Version,
    [property: JsonPropertyName("stopped_by_operator")] List<string> StoppedByOperator);

/// <summary>
/// The daemon's state file (<c>state/state.json</c>), written atomically (temp file, fsync, rename)
/// on every change, so an operator's <c>stop</c> holds across daemon restarts until <c>start</c>.
/// </summary>
public sealed class PersistentState : IOperatorStops
{
    private readonly Lock _lock = new();
    private readonly SortedSet<string> _stopped = new(StringComparer.Ordinal);
    private readonly CoalescedFileWriter _writer;

    public PersistentState(string file)
    {
        _writer = new CoalescedFileWriter(file, Render);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        try
        {
            if (File.Exists(file) &&
                JsonSerializer.Deserialize(File.ReadAllText(file), CoreJsonContext.Default.PersistentStateDocument) is { } doc)
            {
                _stopped.UnionWith(doc.StoppedByOperator);
            }
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            LoadError = $"state file {file} unreadable ({e.Message}); starting with empty state";
        }
    }

    public string? LoadError { get; }

    public bool IsStoppedByOperator(string app)
    {
        lock (_lock)
        {
            return _stopped.Contains(app);
        }
    }

    /// <summary>Records the operator's stop (or start); completes once the file on disk holds it.</summary>
    public Task SetStoppedByOperatorAsync(string app, bool stopped)
    {
        lock (_lock)
        {
            return (stopped ? _stopped.Add(app) : _stopped.Remove(app)) ? ScheduleSave() : Task.CompletedTask;
        }
    }

    /// <summary>Drops entries of services that no longer exist.</summary>
    public Task RetainAsync(IEnumerable<string> apps)
    {
        lock (_lock)
        {
            var keep = apps.ToHashSet(StringComparer.Ordinal);
            return _stopped.RemoveWhere(a => !keep.Contains(a)) > 0 ? ScheduleSave() : Task.CompletedTask;
        }
    }

    private Task ScheduleSave() => _writer.SaveAsync();

    private void Render(IBufferWriter<byte> output)
    {
        Failpoints.Hit("state-save");
        lock (_lock)
        {
            using (var json = new Utf8JsonWriter(output))
            {
                JsonSerializer.Serialize(json, new PersistentStateDocument(1, [.. _stopped]), CoreJsonContext.Default.PersistentStateDocument);
            }

            output.Write("\n"u8);
        }
    }
}
