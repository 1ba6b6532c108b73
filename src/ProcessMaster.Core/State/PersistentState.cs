using System.Text.Json;
using System.Text.Json.Serialization;

namespace ProcessMaster.Core.State;

/// <summary>What must survive a daemon restart: the services an operator stopped.</summary>
public sealed record PersistentStateDocument(
    [property: JsonPropertyName("version")] int Version,
    [property: JsonPropertyName("stopped_by_operator")] List<string> StoppedByOperator);

/// <summary>
/// The daemon's state file (<c>state/state.json</c>), written atomically (temp file, fsync, rename)
/// on every change, so an operator's <c>stop</c> holds across daemon restarts until <c>start</c>.
/// </summary>
public sealed class PersistentState
{
    private readonly Lock _lock = new();
    private readonly string _file;
    private readonly SortedSet<string> _stopped = new(StringComparer.Ordinal);

    public PersistentState(string file)
    {
        _file = file;
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

    public void SetStoppedByOperator(string app, bool stopped)
    {
        lock (_lock)
        {
            if (stopped ? _stopped.Add(app) : _stopped.Remove(app))
            {
                Save();
            }
        }
    }

    /// <summary>Drops entries of services that no longer exist.</summary>
    public void Retain(IEnumerable<string> apps)
    {
        lock (_lock)
        {
            var keep = apps.ToHashSet(StringComparer.Ordinal);
            if (_stopped.RemoveWhere(a => !keep.Contains(a)) > 0)
            {
                Save();
            }
        }
    }

    private void Save()
    {
        var json = JsonSerializer.Serialize(new PersistentStateDocument(1, [.. _stopped]), CoreJsonContext.Default.PersistentStateDocument);
        Configuration.ServiceCatalogLoader.WriteAtomically(_file, json + "\n");
    }
}
