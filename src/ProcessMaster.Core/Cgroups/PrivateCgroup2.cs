using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Supervision.Ports;

namespace ProcessMaster.Core.Cgroups;

/// <summary>
/// On a legacy cgroup v1 host (RHEL 8, Ubuntu 20.04's default boot) no cgroup2 is mounted at all. The
/// daemon then mounts a hierarchy of its own, for tracking only (membership, kill, populated), next to
/// the v1 controllers, which is what hybrid hosts do; limits go through v1 as there. A cgroup2 mount at
/// <see cref="MountPoint"/> is always the daemon's, so a later daemon (after a crash or an upgrade)
/// reuses it, and the one that shuts down last unmounts it when no group is left in it.
/// </summary>
public static class PrivateCgroup2
{
    public const string MountPoint = "/run/processmaster/cgroup2";

    /// <summary>Mounts it when <paramref name="mountInfo"/> shows no cgroup2; returns what to tell the operator, or null.</summary>
    public static string? EnsureMounted(string mountInfo)
    {
        if (MountTable.ParseMountInfo(mountInfo).Any(m => m.FileSystemType == "cgroup2"))
        {
            return null;
        }

        try
        {
            Directory.CreateDirectory(MountPoint, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                                  UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CgroupException($"no cgroup2 file system is mounted, and {MountPoint} cannot be created to mount one: {e.Message}");
        }

        if (Libc.Mount("cgroup2", MountPoint, "cgroup2", Libc.MS_NOSUID | Libc.MS_NODEV | Libc.MS_NOEXEC, null) != 0)
        {
            throw new CgroupException(
                $"no cgroup2 file system is mounted, and mounting one at {MountPoint} failed: {Linux.LastErrorText()}. processmaster tracks " +
                "services with cgroup2 (alongside the v1 controllers on this host): run it as root in the host's mount namespace " +
                $"(not in a container without CAP_SYS_ADMIN), or mount one first: mount -t cgroup2 none {MountPoint}");
        }

        return $"no cgroup2 was mounted (legacy cgroup v1 host): mounted a private cgroup2 hierarchy at {MountPoint} to track services; limits go through cgroup v1";
    }

    /// <summary>Unmounts it when <paramref name="v2Root"/> is it and no group is left in it (the kernel has one cgroup2 hierarchy: others may use it); returns what to log, or null.</summary>
    public static string? UnmountIfUnused(string v2Root)
    {
        if (v2Root != MountPoint)
        {
            return null;
        }

        var others = Directory.EnumerateDirectories(MountPoint).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        if (others.Count > 0)
        {
            return $"left the private cgroup2 hierarchy at {MountPoint} mounted: other groups are in it ({string.Join(", ", others.Take(3))}{(others.Count > 3 ? ", ..." : "")})";
        }

        return Libc.Unmount(MountPoint, 0) == 0
            ? $"unmounted the private cgroup2 hierarchy at {MountPoint}"
            : $"could not unmount {MountPoint}: {Linux.LastErrorText()}";
    }
}
