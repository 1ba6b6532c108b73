using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Supervision.Ports;

namespace ProcessMaster.Core.Cgroups;

/// <summary>Finds the cgroup2 hierarchy and decides, per controller, whether limits go through v2 or v1.</summary>
public static class CgroupDetector
{
    /// <summary>Detects from this host's <c>/proc/self/mountinfo</c> and <c>/proc/self/cgroup</c>.</summary>
    public static CgroupLayout Detect(CgroupSettings settings) =>
        Detect(settings, File.ReadAllText("/proc/self/mountinfo"), File.ReadAllText("/proc/self/cgroup"),
            path => File.Exists(path) ? File.ReadAllText(path) : null);

    /// <summary>Pure detection; <paramref name="readFile"/> returns null for a missing file.</summary>
    public static CgroupLayout Detect(CgroupSettings settings, string mountInfo, string procCgroup, Func<string, string?> readFile)
    {
        var mounts = MountTable.ParseMountInfo(mountInfo);
        var notes = new List<string>();
        var v2Root = FindV2Root(settings, mounts, notes);

        var v2Controllers = (readFile(Path.Combine(v2Root, "cgroup.controllers")) ?? "")
            .Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        var ownPaths = MountTable.ParseProcCgroup(procCgroup);
        var backends = new Dictionary<CgroupController, LimitBackendKind>();
        var v1Masters = new Dictionary<CgroupController, string>();
        foreach (var controller in CgroupControllerNames.All)
        {
            var name = controller.Name();
            if (v2Controllers.Contains(name))
            {
                backends[controller] = LimitBackendKind.V2;
                continue;
            }

            if (V1Master(mounts, ownPaths, controller.V1Name(), settings.Name) is var (v1Master, mountPoint))
            {
                backends[controller] = LimitBackendKind.V1;
                v1Masters[controller] = v1Master;
                notes.Add($"{name} limits go through the cgroup v1 hierarchy at {mountPoint} (not offered by cgroup v2 here)");
            }
            else
            {
                backends[controller] = LimitBackendKind.Unavailable;
                notes.Add($"no cgroup hierarchy offers the {name} controller: {name} limits cannot be applied on this host");
            }
        }

        return new CgroupLayout(v2Root, settings.Name, backends, v1Masters, notes, V1Master(mounts, ownPaths, "freezer", settings.Name)?.Master);
    }

    /// <summary>The master group under the daemon's own group of the v1 hierarchy carrying <paramref name="v1Name"/>, and where that is mounted.</summary>
    private static (string Master, string MountPoint)? V1Master(IReadOnlyList<MountEntry> mounts, IReadOnlyDictionary<string, string> ownPaths, string v1Name, string name)
    {
        var v1 = mounts.FirstOrDefault(m => m.FileSystemType == "cgroup" && m.SuperOptions.Contains(v1Name));
        if (v1 is null || !ownPaths.TryGetValue(v1Name, out var own))
        {
            return null;
        }

        var relative = own.StartsWith(v1.Root, StringComparison.Ordinal) ? own[v1.Root.Length..] : own;
        return (Path.Combine(v1.MountPoint + "/" + relative.Trim('/'), name).Replace("//", "/"), v1.MountPoint);
    }

    private static string FindV2Root(CgroupSettings settings, IReadOnlyList<MountEntry> mounts, List<string> notes)
    {
        var configured = MountTable.Containing(mounts, settings.Root);
        if (configured?.FileSystemType == "cgroup2")
        {
            return settings.Root;
        }

        var v2 = mounts.FirstOrDefault(m => m.FileSystemType == "cgroup2")
                 ?? throw new CgroupException(
                     "no cgroup2 file system is mounted; processmaster needs cgroup v2 (e.g. mount -t cgroup2 none /sys/fs/cgroup)");
        if (!settings.RootIsDefault)
        {
            throw new CgroupException($"cgroup.root {settings.Root} is not on a cgroup2 file system (cgroup2 is mounted at {v2.MountPoint})");
        }

        notes.Add($"{settings.Root} is not a cgroup2 mount (hybrid host); using the cgroup2 hierarchy at {v2.MountPoint}");
        return v2.MountPoint;
    }
}
