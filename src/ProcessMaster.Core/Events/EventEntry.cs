using System.Text.Json.Serialization;

namespace ProcessMaster.Core.Events;

/// <summary>One thing that happened: a state change, a decision, an operator action.</summary>
public sealed record EventEntry(
    [property: JsonPropertyName("ts")] DateTimeOffset Time,
    [property: JsonPropertyName("app")] string? App,
    [property: JsonPropertyName("component")] string Component,
    [property: JsonPropertyName("message")] string Message)
{
    /// <summary><c>2026-01-02 15:04:05.123 [component] app=web message</c>, in local time.</summary>
    public string Format() =>
        $"{Time.ToLocalTime():yyyy-MM-dd HH:mm:ss.fff} [{Component}] {(App is null ? "" : $"app={App} ")}{Message}";
}
