using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Supervision.Ports;

namespace ProcessMaster.Core.Cgroups;

/// <summary>
/// Tells when a cgroup's <c>populated</c> flag changes, from inotify on its <c>cgroup.events</c> file
/// (the kernel signals a modification on every change), delivered on the event loop. No polling.
/// </summary>
public sealed class CgroupEventsWatcher(InotifyWatcher inotify)
{
    /// <summary>Calls <paramref name="onChange"/> with the populated flag each time the group's cgroup.events changes.</summary>
    public IDisposable Watch(string group, Action<bool> onChange)
    {
        try
        {
            return inotify.Watch(Path.Combine(group, "cgroup.events"), InotifyWatcher.IN_MODIFY,
                (mask, _) =>
                {
                    if ((mask & (InotifyWatcher.IN_MODIFY | InotifyWatcher.IN_Q_OVERFLOW)) != 0)
                    {
                        onChange(CgroupFs.IsPopulated(group));
                    }
                });
        }
        catch (IOException e)
        {
            throw new CgroupException(e.Message);
        }
    }
}
