using System.Text.RegularExpressions;

namespace ProcessMaster.Core.Configuration.Values;

/// <summary>
/// A block device as <c>io_bandwidth</c> names it: <c>MAJ:MIN</c> (<c>253:0</c>) or a path under /dev
/// (<c>/dev/vda</c>, <c>/dev/disk/by-id/…</c>). Only the form is checked here; the device is looked up
/// when limits are written, since disks come and go while a definition stays loaded.
/// </summary>
public static partial class BlockDeviceName
{
    public static string Parse(string text)
    {
        var trimmed = text.Trim();
        if (Numbers().Match(trimmed) is { Success: true } match)
        {
            return $"{uint.Parse(match.Groups[1].Value)}:{uint.Parse(match.Groups[2].Value)}";
        }

        // Only under /dev: the daemon looks the path up as root at every start, and a path elsewhere (a
        // user's FUSE mount, say) could hang it there.
        if (trimmed.StartsWith("/dev/", StringComparison.Ordinal) && !trimmed.Contains('\0') && !trimmed.Split('/').Contains(".."))
        {
            return trimmed;
        }

        throw new FormatException($"'{text}' is not a block device; use MAJ:MIN (e.g. \"253:0\", see lsblk) or a path under /dev such as /dev/vda");
    }

    /// <summary>Whether <paramref name="device"/> is written as <c>MAJ:MIN</c> rather than a path.</summary>
    public static bool IsNumbers(string device) => Numbers().IsMatch(device);

    [GeneratedRegex(@"^([0-9]{1,9}):([0-9]{1,9})$")]
    private static partial Regex Numbers();
}
