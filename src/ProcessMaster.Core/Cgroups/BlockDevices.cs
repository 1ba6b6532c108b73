using ProcessMaster.Core.Configuration.Values;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Supervision.Ports;

namespace ProcessMaster.Core.Cgroups;

/// <summary>A disk I/O limits are written for, as the kernel names it (<c>254:0</c>) and as people do (<c>vda</c>).</summary>
/// <param name="Note">Set when the configured device was a partition and its disk was taken instead.</param>
public sealed record BlockDevice(string Numbers, string Name, string? Note);

/// <summary>
/// Looks up <c>io_bandwidth</c> devices in /dev and /sys/dev/block. The kernel limits I/O per disk,
/// not per partition (io.max and blkio.throttle refuse a partition), so a partition stands for its disk.
/// </summary>
public static class BlockDevices
{
    private const string SysDevBlock = "/sys/dev/block";

    /// <summary>The disk <paramref name="device"/> (MAJ:MIN or a path) names; throws a CgroupException saying why not.</summary>
    public static BlockDevice Resolve(string device)
    {
        string numbers;
        if (BlockDeviceName.IsNumbers(device))
        {
            numbers = device;
        }
        else
        {
            if (PosixFile.Stat(device) is not { } st)
            {
                throw new CgroupException($"io_bandwidth device {device} does not exist");
            }

            if ((st.Mode & Libc.S_IFMT) != Libc.S_IFBLK)
            {
                throw new CgroupException($"io_bandwidth device {device} is not a block device");
            }

            numbers = $"{st.RdevMajor}:{st.RdevMinor}";
        }

        var entry = Path.Combine(SysDevBlock, numbers);
        if (!Directory.Exists(entry))
        {
            throw new CgroupException($"io_bandwidth device {device}: this host has no block device {numbers}");
        }

        if (!File.Exists(Path.Combine(entry, "partition")))
        {
            return new BlockDevice(numbers, Name(numbers), null);
        }

        var disk = CgroupFs.Read(Path.Combine(entry, "..", "dev"))?.Trim();
        if (disk is null || !BlockDeviceName.IsNumbers(disk))
        {
            throw new CgroupException($"io_bandwidth device {device} is a partition whose disk cannot be found in {SysDevBlock}");
        }

        return new BlockDevice(disk, Name(disk),
            $"io_bandwidth device {device} is the partition {Name(numbers)}; the kernel limits whole disks, so the limit applies to {Name(disk)} ({disk})");
    }

    /// <summary>The kernel's name for a device (<c>vda</c>), or its numbers when it has none.</summary>
    public static string Name(string numbers)
    {
        foreach (var line in (CgroupFs.Read(Path.Combine(SysDevBlock, numbers, "uevent")) ?? "").Split('\n'))
        {
            if (line.StartsWith("DEVNAME=", StringComparison.Ordinal))
            {
                return line["DEVNAME=".Length..];
            }
        }

        return numbers;
    }
}
