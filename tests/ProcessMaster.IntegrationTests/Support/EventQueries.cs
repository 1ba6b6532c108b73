using System.Text.Json;
using ProcessMaster.Protocol;

namespace ProcessMaster.IntegrationTests.Support;

/// <summary>Reads an event's fields as the RPC API gives them (snake_case, enums by name).</summary>
public static class EventQueries
{
    public static IEnumerable<EventRecord> OfKind(this IEnumerable<EventRecord> events, string kind) => events.Where(e => e.Kind == kind);

    /// <summary>The field <paramref name="path"/> (<c>cause.kind</c>) as text, or null when absent.</summary>
    public static string? Field(this EventRecord e, string path)
    {
        if (e.Event is not { } element)
        {
            return null;
        }

        foreach (var part in path.Split('.'))
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(part, out element))
            {
                return null;
            }
        }

        return element.ValueKind switch
        {
            JsonValueKind.String => element.GetString(),
            JsonValueKind.Null => null,
            _ => element.GetRawText(),
        };
    }

    /// <summary>State changes as (from, to, cause) — what a test of supervision asserts on.</summary>
    public static IEnumerable<(string? From, string? To, string? Cause)> Transitions(this IEnumerable<EventRecord> events) =>
        events.OfKind("state_changed").Select(e => (e.Field("from"), e.Field("to"), e.Field("cause.kind")));
}
