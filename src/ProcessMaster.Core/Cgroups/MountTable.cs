namespace ProcessMaster.Core.Cgroups;

/// <summary>One line of <c>/proc/self/mountinfo</c>.</summary>
public sealed record MountEntry(string MountPoint, string FileSystemType, string Root, IReadOnlySet<string> SuperOptions);

/// <summary>Parses <c>/proc/self/mountinfo</c> (proc(5)) and <c>/proc/self/cgroup</c> (cgroups(7)).</summary>
public static class MountTable
{
    public static IReadOnlyList<MountEntry> ParseMountInfo(string text)
    {
        var entries = new List<MountEntry>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // id parent major:minor root mount-point options [optional...] - fstype source super-options
            var fields = line.Split(' ');
            var separator = Array.IndexOf(fields, "-");
            if (fields.Length < 6 || separator < 6 || separator + 3 > fields.Length)
            {
                continue;
            }

            var superOptions = separator + 3 < fields.Length
                ? fields[separator + 3].Split(',').ToHashSet(StringComparer.Ordinal)
                : [];
            entries.Add(new MountEntry(Unescape(fields[4]), fields[separator + 1], Unescape(fields[3]), superOptions));
        }

        return entries;
    }

    /// <summary>Maps each v1 controller to the daemon's cgroup path in it, and "" to its v2 path.</summary>
    public static IReadOnlyDictionary<string, string> ParseProcCgroup(string text)
    {
        var paths = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(':', 3);
            if (parts.Length != 3)
            {
                continue;
            }

            if (parts[1].Length == 0)
            {
                paths[""] = parts[2];
                continue;
            }

            foreach (var controller in parts[1].Split(','))
            {
                paths[controller] = parts[2];
            }
        }

        return paths;
    }

    /// <summary>The mount that holds <paramref name="path"/>: the longest mount point that is a prefix of it.</summary>
    public static MountEntry? Containing(IReadOnlyList<MountEntry> mounts, string path)
    {
        MountEntry? best = null;
        foreach (var mount in mounts)
        {
            var point = mount.MountPoint;
            var inside = path == point || point == "/" || path.StartsWith(point + "/", StringComparison.Ordinal);
            if (inside && (best is null || point.Length >= best.MountPoint.Length))
            {
                best = mount;
            }
        }

        return best;
    }

    // mountinfo escapes space, tab, newline and backslash as \ooo octal.
    private static string Unescape(string field)
    {
        if (!field.Contains('\\'))
        {
            return field;
        }

        var result = new System.Text.StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length && field[(i + 1)..(i + 4)].All(c => c is >= '0' and <= '7'))
            {
                result.Append((char)Convert.ToInt32(field[(i + 1)..(i + 4)], 8));
                i += 3;
            }
            else
            {
                result.Append(field[i]);
            }
        }

        return result.ToString();
    }
}
