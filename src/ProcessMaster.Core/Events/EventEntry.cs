using System.Text.Json.Serialization;

namespace ProcessMaster.Core.Events;

/// <summary>One thing that happened, when, and to which service (null: the daemon).</summary>
public sealed record EventEntry(DateTimeOffset Time, string? App, Event Event)
{
    public string Component { get; } = Event.Component;

    /// <summary>The event's text, rendered once.</summary>
    public string Message { get; } = Event.Render();

    /// <summary><c>2026-01-02 15:04:05.123 [component] app=web message</c>, in local time.</summary>
    public string Format() =>
        $"{Time.ToLocalTime():yyyy-MM-dd HH:mm:ss.fff} [{Component}] {(App is null ? "" : $"app={App} ")}{Message}";

    public EventLine ToLine() => new(Time, App, Component, Message, Event);

    /// <summary>A line of the history file; one written before events had kinds is a <see cref="Notice"/> of its text.</summary>
    public static EventEntry? FromLine(EventLine line) =>
        line is { Component: { } component, Message: { } message }
            ? new EventEntry(line.Ts, line.App, line.Event ?? new Notice(component, message))
            : null;
}

/// <summary>
/// How an event is kept in the history file: the text as it was rendered (for grep, and for older daemons
/// reading the file) beside the event's kind and fields.
/// </summary>
public sealed record EventLine(DateTimeOffset Ts, string? App, string? Component, string? Message, [property: JsonPropertyName("event")] Event? Event);
