using System.Text.Json;

namespace ProcessMaster.Core.Events;

/// <summary>
/// Reads a line of a history file back. A line whose event cannot be read (a kind a newer daemon wrote, fields
/// of another shape) keeps its time, service and text as a <see cref="Notice"/>; only a line that is not an
/// event at all is lost.
/// </summary>
internal static class EventLineReader
{
    public static EventEntry? Read(string line)
    {
        try
        {
            return EventJson.Deserialize(line) is { } read ? EventEntry.FromLine(read) : null;
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            return AsText(line);
        }
    }

    /// <summary>Deeper than an event can be, so that only the line's text decides (lines are at most 64 KiB).</summary>
    private static readonly JsonDocumentOptions TextOnly = new() { MaxDepth = 256 };

    private static EventEntry? AsText(string line)
    {
        try
        {
            using var document = JsonDocument.Parse(line, TextOnly);
            var root = document.RootElement;
            return root.ValueKind == JsonValueKind.Object
                   && root.TryGetProperty("ts", out var ts) && ts.TryGetDateTimeOffset(out var time)
                   && root.TryGetProperty("component", out var component) && component.ValueKind == JsonValueKind.String
                   && root.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String
                ? new EventEntry(time, root.TryGetProperty("app", out var app) && app.ValueKind == JsonValueKind.String ? app.GetString() : null,
                    new Notice(component.GetString()!, message.GetString()!))
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
