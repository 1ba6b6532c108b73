using ProcessMaster.Core.Cgroups;
using ProcessMaster.Core.Supervision;

namespace ProcessMaster.Daemon.Control;

/// <summary>
/// What a service's cgroup says about its use of the machine. The daemon's cgroups are <see cref="ServiceCgroup"/>,
/// which reads its counters too; supervision only sees its port.
/// </summary>
internal static class CgroupReadingsOf
{
    public static ICgroupReadings Readings(this ServiceSupervisor service) => (ICgroupReadings)service.Cgroup;
}
