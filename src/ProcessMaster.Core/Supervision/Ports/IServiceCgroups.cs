namespace ProcessMaster.Core.Supervision.Ports;

/// <summary>The cgroups of every service: opening one, finding those that exist, watching one empty.</summary>
public interface IServiceCgroups
{
    IServiceCgroup Service(string app);

    /// <summary>The services that have a group now, configured or not.</summary>
    IReadOnlyList<string> ExistingServiceNames();

    /// <summary>Calls <paramref name="onChange"/> with the populated flag each time it may have changed.</summary>
    IDisposable Watch(IServiceCgroup cgroup, Action<bool> onChange);
}
