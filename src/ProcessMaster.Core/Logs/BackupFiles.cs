using System.Globalization;
using ProcessMaster.Core.Files;
using ProcessMaster.Core.Interop;

namespace ProcessMaster.Core.Logs;

/// <summary>
/// The rotated copies of a log file in its (held) directory: <c>base.1</c>, <c>base.2</c>, ... (size mode) or
/// <c>base.&lt;period&gt;</c> (time mode), each possibly gzip-compressed (<c>.gz</c>). Lists, shifts and prunes
/// them by name relative to the directory, so nothing a service placed there is ever followed.
/// </summary>
internal static class BackupFiles
{
    /// <summary>Size mode: deletes the oldest beyond <paramref name="keep"/>-1, shifts base.i to base.i+1, and renames base to base.1.</summary>
    public static void ShiftAndRotate(SafeDirectory directory, string baseName, int keep)
    {
        if (keep <= 0)
        {
            directory.Delete(baseName);
            return;
        }

        var backups = Numbered(directory, baseName);
        foreach (var stale in backups.Where(b => b.Number >= keep))
        {
            directory.Delete(stale.Name);
        }

        foreach (var backup in backups.Where(b => b.Number < keep).OrderByDescending(b => b.Number))
        {
            directory.Rename(backup.Name, NumberedName(baseName, backup.Number + 1, backup.Compressed));
        }

        directory.Rename(baseName, NumberedName(baseName, 1, compressed: false));
    }

    public static string NumberedName(string baseName, int number, bool compressed) =>
        $"{baseName}.{number.ToString(CultureInfo.InvariantCulture)}{(compressed ? ".gz" : "")}";

    /// <summary>Existing numbered backups, <c>base.N</c> and <c>base.N.gz</c>.</summary>
    public static List<(string Name, int Number, bool Compressed)> Numbered(SafeDirectory directory, string baseName)
    {
        var result = new List<(string, int, bool)>();
        foreach (var name in Siblings(directory, baseName))
        {
            var rest = name[(baseName.Length + 1)..];
            var compressed = rest.EndsWith(".gz", StringComparison.Ordinal);
            var number = compressed ? rest[..^3] : rest;
            if (int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0)
            {
                result.Add((name, n, compressed));
            }
        }

        return result;
    }

    /// <summary>Time mode: a free name <c>base.&lt;period&gt;</c> (or <c>base.&lt;period&gt;.N</c> if that period was rotated before).</summary>
    public static string PeriodName(SafeDirectory directory, string baseName, string period)
    {
        var candidate = $"{baseName}.{period}";
        for (var n = 1; directory.Stat(candidate) is not null || directory.Stat(candidate + ".gz") is not null; n++)
        {
            candidate = $"{baseName}.{period}.{n.ToString(CultureInfo.InvariantCulture)}";
        }

        return candidate;
    }

    /// <summary>Every rotated copy (any naming) that is a regular file, newest first by modification time.</summary>
    public static List<(string Name, DateTimeOffset Modified)> All(SafeDirectory directory, string baseName)
    {
        var result = new List<(string, DateTimeOffset)>();
        foreach (var name in Siblings(directory, baseName).Where(n => !n.EndsWith(".tmp", StringComparison.Ordinal)))
        {
            if (directory.Stat(name) is { } st && (st.Mode & Libc.S_IFMT) == Libc.S_IFREG)
            {
                result.Add((name, st.ModifyTime.ToDateTimeOffset()));
            }
        }

        return [.. result.OrderByDescending(c => c.Item2)];
    }

    /// <summary>Names <c>base.*</c> (matched by hand: "*" patterns would also match "base" itself).</summary>
    private static IEnumerable<string> Siblings(SafeDirectory directory, string baseName)
    {
        var prefix = baseName + ".";
        return directory.Names().Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.Length > prefix.Length);
    }

    /// <summary>Time mode housekeeping: keeps the newest <paramref name="keep"/> copies and none older than <paramref name="maxAge"/>.</summary>
    public static void Prune(SafeDirectory directory, string baseName, int? keep, TimeSpan? maxAge, DateTimeOffset now)
    {
        var copies = All(directory, baseName);
        for (var i = 0; i < copies.Count; i++)
        {
            var tooMany = keep is { } k && i >= k;
            var tooOld = maxAge is { } age && now - copies[i].Modified > age;
            if (tooMany || tooOld)
            {
                directory.Delete(copies[i].Name);
            }
        }
    }
}
