namespace ProcessMaster.Core.Supervision.Ports;

/// <summary>Where supervision reports what happened (the event log).</summary>
public interface IEventSink
{
    /// <param name="app">The service, or null for the daemon.</param>
    void Record(string? app, string component, string message);
}
