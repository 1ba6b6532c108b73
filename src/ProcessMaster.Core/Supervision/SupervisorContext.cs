using ProcessMaster.Core.Supervision.Ports;

namespace ProcessMaster.Core.Supervision;

/// <summary>What every supervisor works through: the ports to the system, and the clock.</summary>
public sealed record SupervisorContext(
    IServiceCgroups Cgroups,
    IProcessSpawner Processes,
    IEventSink Events,
    IOperatorStops State,
    TimeProvider Time)
{
    private readonly long _origin = Time.GetTimestamp();

    /// <summary>Monotonic time since the supervision began, for timeouts and crash windows.</summary>
    public TimeSpan Monotonic => Time.GetElapsedTime(_origin);
}
