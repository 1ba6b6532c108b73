using ProcessMaster.Core.Supervision.Ports;

namespace ProcessMaster.Core.Supervision;

/// <summary>What every supervisor works through: the ports to the system, and the clock.</summary>
public sealed record SupervisorContext(
    IServiceCgroups Cgroups,
    IProcessSpawner Processes,
    IEventSink Events,
    IOperatorStops State,
    ISupervisionRecords Records,
    IProbes Probes,
    TimeProvider Time)
{
    /// <summary>
    /// Monotonic time (CLOCK_MONOTONIC for the system clock), for timeouts and crash windows. It is the
    /// same in every process until the host reboots, so crash times saved by one daemon hold in the next.
    /// </summary>
    public TimeSpan Monotonic => Time.GetElapsedTime(0);
}
