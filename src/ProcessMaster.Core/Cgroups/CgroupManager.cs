using ProcessMaster.Core.Configuration;

namespace ProcessMaster.Core.Cgroups;

/// <summary>Sets up the master group and hands out service groups. Only touches groups it created.</summary>
public sealed class CgroupManager
{
    private static readonly string[] BasicControllers = ["cpu", "memory", "io", "pids"];

    public CgroupManager(CgroupLayout layout)
    {
        Layout = layout;
        Limits = new LimitWriter(layout);
    }

    public CgroupLayout Layout { get; }

    public LimitWriter Limits { get; }

    /// <summary>
    /// Creates the master (v2 and v1) and admin_actions groups and writes the master limits; in between,
    /// finds what the kernel offers in the new master group (less <paramref name="disabled"/>).
    /// </summary>
    public IReadOnlyList<string> SetupMaster(CgroupSettings settings, IReadOnlySet<KernelFeature>? disabled = null)
    {
        var warnings = new List<string>();
        var v2Limited = Layout.Backends.Where(b => b.Value == LimitBackendKind.V2).Select(b => b.Key.Name()).ToList();

        // Each level from the cgroup2 root down to the master must pass the limit controllers on.
        var relative = Layout.Master[Layout.V2Root.Length..].Trim('/').Split('/');
        var level = Layout.V2Root;
        foreach (var part in relative)
        {
            if (v2Limited.Count > 0)
            {
                warnings.AddRange(CgroupFs.EnableSubtreeControllers(level, v2Limited));
            }

            level = Path.Combine(level, part);
            CgroupFs.Create(level);
        }

        warnings.AddRange(CgroupFs.EnableSubtreeControllers(Layout.Master, settings.SubtreeControlAllow ? null : BasicControllers));
        Layout.Adopt(KernelFeatures.Probe(Layout.Master, Layout.Backends[CgroupController.Memory] == LimitBackendKind.V2,
            Layout.V1FreezerMaster is not null, Interop.Linux.PidfdSupported(), disabled ?? new HashSet<KernelFeature>(), File.Exists));
        foreach (var group in Layout.DistinctV1Masters)
        {
            CgroupFs.Create(group);
        }

        warnings.AddRange(Limits.Apply(CgroupLimits.From(settings), Layout.Master, c => Layout.V1Masters[c]));
        CgroupFs.Create(Layout.AdminActions);
        CgroupFs.Create(Layout.PipeHolder);
        return warnings;
    }

    public ServiceCgroup Service(string app) => new(Layout, Limits, app);

    /// <summary>Names of every <c>pm-*</c> group under the master, e.g. left by a removed service or an earlier daemon.</summary>
    public IReadOnlyList<string> ExistingServiceNames()
    {
        if (!Directory.Exists(Layout.Master))
        {
            return [];
        }

        return Directory.EnumerateDirectories(Layout.Master)
            .Select(Path.GetFileName)
            .Where(n => n!.StartsWith(CgroupLayout.ServicePrefix, StringComparison.Ordinal))
            .Select(n => n![CgroupLayout.ServicePrefix.Length..])
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Removes the admin_actions, pipe holder and master groups (v2 and v1) if nothing is left in them.</summary>
    public void RemoveMasterIfEmpty()
    {
        CgroupFs.RemoveTree(Layout.AdminActions);
        // The holder has just exited: its group empties a moment after it closed its socket.
        for (var attempt = 0; attempt < 100 && !CgroupFs.RemoveTree(Layout.PipeHolder); attempt++)
        {
            Thread.Sleep(10);
        }

        if (Directory.Exists(Layout.Master) && !Directory.EnumerateDirectories(Layout.Master).Any())
        {
            CgroupFs.RemoveTree(Layout.Master);
        }

        foreach (var group in Layout.DistinctV1Masters)
        {
            if (Directory.Exists(group) && !Directory.EnumerateDirectories(group).Any())
            {
                CgroupFs.RemoveTree(group);
            }
        }
    }
}
