using ProcessMaster.Core.Supervision.Ports;

namespace ProcessMaster.Core.Cgroups;

/// <summary>The services' cgroups on this host, watched through their cgroup.events files.</summary>
public sealed class WatchedServiceCgroups(CgroupManager cgroups, CgroupEventsWatcher watcher) : IServiceCgroups
{
    public IServiceCgroup Service(string app) => cgroups.Service(app);

    public IReadOnlyList<string> ExistingServiceNames() => cgroups.ExistingServiceNames();

    public IDisposable Watch(IServiceCgroup cgroup, Action<bool> onChange) => watcher.Watch(cgroup.Group, onChange);
}
