using ProcessMaster.Core.Cgroups;
using ProcessMaster.Core.Events;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Logs;
using ProcessMaster.Core.Processes;
using ProcessMaster.Core.State;

namespace ProcessMaster.Core.Supervision;

/// <summary>The shared machinery every supervisor uses.</summary>
/// <param name="Loop">The supervision loop: spawning, reaping, exec status, cgroup.events.</param>
/// <param name="LogLoop">The log loop: service output pipes into their files.</param>
public sealed record SupervisorContext(
    EventLoop Loop,
    EventLoop LogLoop,
    ChildReaper Reaper,
    CgroupManager Cgroups,
    CgroupEventsWatcher Watcher,
    ProcessLauncher Launcher,
    LogFileRegistry Logs,
    EventLog Events,
    PersistentState State,
    IUserDatabase Users,
    TimeProvider Time)
{
    private readonly long _origin = Time.GetTimestamp();

    /// <summary>Monotonic time since the daemon started, for timeouts and crash windows.</summary>
    public TimeSpan Monotonic => Time.GetElapsedTime(_origin);
}
