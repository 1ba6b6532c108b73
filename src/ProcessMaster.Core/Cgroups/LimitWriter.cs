using System.Globalization;

namespace ProcessMaster.Core.Cgroups;

/// <summary>
/// Writes limits through the backend each controller has on this host: the v2 files, or on hybrid
/// hosts the v1 files of a parallel group. Every limit is written every time, so a limit taken out of
/// the configuration is reset instead of lingering. A file the kernel lacks is a warning.
/// </summary>
/// <param name="resolveDevice">Finds the disk an io_bandwidth device names (tests give their own).</param>
public sealed class LimitWriter(CgroupLayout layout, Func<string, BlockDevice>? resolveDevice = null)
{
    private readonly IoLimitWriter _io = new(resolveDevice ?? BlockDevices.Resolve);

    /// <summary>Applies <paramref name="limits"/>; <paramref name="v1Group"/> maps a v1 controller to its group.</summary>
    public IReadOnlyList<string> Apply(CgroupLimits limits, string v2Group, Func<CgroupController, string> v1Group)
    {
        var warnings = new List<string>();
        switch (layout.Backends[CgroupController.Cpu])
        {
            case LimitBackendKind.V2:
                CgroupFs.Write(Path.Combine(v2Group, "cpu.max"), limits.Cpu.ToString());
                break;
            case LimitBackendKind.V1:
                var cpu = v1Group(CgroupController.Cpu);
                CgroupFs.Write(Path.Combine(cpu, "cpu.cfs_period_us"), limits.Cpu.PeriodMicroseconds.ToString(CultureInfo.InvariantCulture));
                CgroupFs.Write(Path.Combine(cpu, "cpu.cfs_quota_us"), (limits.Cpu.QuotaMicroseconds ?? -1).ToString(CultureInfo.InvariantCulture));
                break;
            case LimitBackendKind.Unavailable:
                break;
        }

        switch (layout.Backends[CgroupController.Memory])
        {
            case LimitBackendKind.V2:
                CgroupFs.Write(Path.Combine(v2Group, "memory.max"), Text(limits.MemoryMax));
                WriteOptional(Path.Combine(v2Group, "memory.swap.max"), Text(limits.SwapMax), limits.SwapMax is not null && !limits.SwapDefaulted, warnings,
                    "swap accounting is not enabled in this kernel; max_swap cannot be enforced");
                break;
            case LimitBackendKind.V1:
                ApplyV1Memory(limits, v1Group(CgroupController.Memory), warnings);
                break;
            case LimitBackendKind.Unavailable:
                break;
        }

        switch (layout.Backends[CgroupController.Pids])
        {
            case LimitBackendKind.V2:
                CgroupFs.Write(Path.Combine(v2Group, "pids.max"), Text(limits.PidsMax));
                break;
            case LimitBackendKind.V1:
                CgroupFs.Write(Path.Combine(v1Group(CgroupController.Pids), "pids.max"), Text(limits.PidsMax));
                break;
            case LimitBackendKind.Unavailable:
                break;
        }

        switch (layout.Backends[CgroupController.Io])
        {
            case LimitBackendKind.V2:
                _io.ApplyV2(limits, v2Group, warnings);
                break;
            case LimitBackendKind.V1:
                _io.ApplyV1(limits, v1Group(CgroupController.Io), warnings);
                break;
            case LimitBackendKind.Unavailable when limits.IoWeight is not null || limits.IoBandwidth.Count > 0:
                warnings.Add("io_weight/io_bandwidth cannot be applied: no cgroup hierarchy on this host offers the io (blkio) controller");
                break;
        }

        return warnings;
    }

    /// <summary>
    /// v1 limits memory+swap together (memsw) and requires memsw &gt;= memory at every moment, so memsw is
    /// opened fully first, then the memory limit set, then memsw narrowed to memory + swap.
    /// </summary>
    private static void ApplyV1Memory(CgroupLimits limits, string group, List<string> warnings)
    {
        var memsw = Path.Combine(group, "memory.memsw.limit_in_bytes");
        var hasMemsw = File.Exists(memsw);
        if (hasMemsw)
        {
            CgroupFs.Write(memsw, "-1");
        }

        CgroupFs.Write(Path.Combine(group, "memory.limit_in_bytes"), (limits.MemoryMax ?? -1).ToString(CultureInfo.InvariantCulture));
        if (limits.SwapMax is not { } swap)
        {
            return;
        }

        if (limits.SwapDefaulted && (!hasMemsw || limits.MemoryMax is null))
        {
            return; // no swap was asked for: the section's default is applied where it can be, and not said where it cannot
        }

        if (!hasMemsw)
        {
            warnings.Add("swap accounting is not enabled in this kernel (no memory.memsw.limit_in_bytes); max_swap cannot be enforced");
        }
        else if (limits.MemoryMax is { } memory)
        {
            CgroupFs.Write(memsw, (memory + swap).ToString(CultureInfo.InvariantCulture));
        }
        else
        {
            warnings.Add("on cgroup v1 a swap limit needs a memory limit too (memsw limits memory + swap together); max_swap not applied");
        }
    }

    private static void WriteOptional(string path, string value, bool wanted, List<string> warnings, string missingWarning)
    {
        if (File.Exists(path))
        {
            CgroupFs.Write(path, value);
        }
        else if (wanted)
        {
            warnings.Add(missingWarning);
        }
    }

    private static string Text(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "max";
}
