namespace ProcessMaster.Core.Events;

/// <summary>
/// Who an event comes from, which decides what may push it out of the history: what a service does (its
/// state changes, probes, sd_notify datagrams, log files) is kept apart from what the daemon, its
/// configuration and its operators do, so no service can flush the operator audit trail.
/// </summary>
public enum EventOrigin
{
    /// <summary>The daemon, a configuration change, an operator's command.</summary>
    Daemon,

    /// <summary>A service's own behaviour: rate-limited per service, repeats collapsed.</summary>
    Service,
}
