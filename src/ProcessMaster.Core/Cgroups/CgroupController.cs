namespace ProcessMaster.Core.Cgroups;

/// <summary>The controllers processmaster sets limits through, and the v1 freezer it kills through on old kernels.</summary>
public enum CgroupController
{
    Cpu,
    Memory,
    Pids,
    Io,

    /// <summary>Not a limit: used only where cgroup2 has neither cgroup.kill nor cgroup.freeze.</summary>
    Freezer,
}

/// <summary>Where limits of one controller are written.</summary>
public enum LimitBackendKind
{
    /// <summary>The cgroup v2 hierarchy offers the controller.</summary>
    V2,

    /// <summary>Only a cgroup v1 hierarchy offers it (hybrid hosts).</summary>
    V1,

    /// <summary>No hierarchy offers it; a limit needing it cannot be applied.</summary>
    Unavailable,
}

public static class CgroupControllerNames
{
    public static string Name(this CgroupController controller) => controller switch
    {
        CgroupController.Cpu => "cpu",
        CgroupController.Memory => "memory",
        CgroupController.Pids => "pids",
        CgroupController.Io => "io",
        CgroupController.Freezer => "freezer",
    };

    /// <summary>The controller's name on cgroup v1, where I/O is <c>blkio</c>.</summary>
    public static string V1Name(this CgroupController controller) => controller == CgroupController.Io ? "blkio" : controller.Name();

    /// <summary>The limit controllers.</summary>
    public static readonly CgroupController[] All = [CgroupController.Cpu, CgroupController.Memory, CgroupController.Pids, CgroupController.Io];
}
