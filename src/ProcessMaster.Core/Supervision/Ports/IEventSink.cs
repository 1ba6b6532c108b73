using ProcessMaster.Core.Events;

namespace ProcessMaster.Core.Supervision.Ports;

/// <summary>Where supervision reports what happened (the event log).</summary>
public interface IEventSink
{
    /// <param name="app">The service, or null for the daemon.</param>
    /// <param name="origin">Whether a service's own behaviour caused it (those are rate-limited per service) or the daemon, its configuration or an operator.</param>
    void Record(string? app, Event e, EventOrigin origin = EventOrigin.Daemon);
}
