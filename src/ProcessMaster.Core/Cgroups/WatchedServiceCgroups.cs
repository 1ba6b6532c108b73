using ProcessMaster.Core.Supervision.Ports;

namespace ProcessMaster.Core.Cgroups;

/// <summary>The services' cgroups on this host, watched through their cgroup.events files (polled where the kernel has none).</summary>
public sealed class WatchedServiceCgroups(CgroupManager cgroups, CgroupEventsWatcher watcher) : IServiceCgroups
{
    public IServiceCgroup Service(string app) => cgroups.Service(app);

    public IReadOnlyList<string> ExistingServiceNames() => cgroups.ExistingServiceNames();

    public IDisposable Watch(IServiceCgroup cgroup, Action<bool> onChange) =>
        cgroups.Layout.Features.Has(KernelFeature.CgroupEvents)
            ? watcher.Watch(cgroup.Group, onChange)
            : new PopulatedPoller(() => cgroup.IsPopulated, onChange);
}
