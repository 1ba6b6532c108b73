using System.Globalization;

namespace ProcessMaster.Core.Logs;

/// <summary>
/// The rotated copies of a log file: <c>base.1</c>, <c>base.2</c>, ... (size mode) or <c>base.&lt;period&gt;</c>
/// (time mode), each possibly gzip-compressed (<c>.gz</c>). Lists, shifts and prunes them.
/// </summary>
public static class BackupFiles
{
    /// <summary>Size mode: deletes the oldest beyond <paramref name="keep"/>-1, shifts base.i to base.i+1, and renames base to base.1.</summary>
    public static void ShiftAndRotate(string basePath, int keep)
    {
        if (keep <= 0)
        {
            File.Delete(basePath);
            return;
        }

        foreach (var stale in Numbered(basePath).Where(b => b.Number >= keep))
        {
            File.Delete(stale.Path);
        }

        foreach (var backup in Numbered(basePath).OrderByDescending(b => b.Number))
        {
            File.Move(backup.Path, NumberedPath(basePath, backup.Number + 1, backup.Compressed));
        }

        File.Move(basePath, NumberedPath(basePath, 1, compressed: false));
    }

    public static string NumberedPath(string basePath, int number, bool compressed) =>
        $"{basePath}.{number.ToString(CultureInfo.InvariantCulture)}{(compressed ? ".gz" : "")}";

    /// <summary>Existing numbered backups, <c>base.N</c> and <c>base.N.gz</c>.</summary>
    public static List<(string Path, int Number, bool Compressed)> Numbered(string basePath)
    {
        var directory = Path.GetDirectoryName(basePath)!;
        var prefix = Path.GetFileName(basePath) + ".";
        var result = new List<(string, int, bool)>();
        if (!Directory.Exists(directory))
        {
            return result;
        }

        foreach (var file in Siblings(basePath))
        {
            var rest = Path.GetFileName(file)[prefix.Length..];
            var compressed = rest.EndsWith(".gz", StringComparison.Ordinal);
            var number = compressed ? rest[..^3] : rest;
            if (int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0)
            {
                result.Add((file, n, compressed));
            }
        }

        return result;
    }

    /// <summary>Time mode: a free name <c>base.&lt;period&gt;</c> (or <c>base.&lt;period&gt;.N</c> if that period was rotated before).</summary>
    public static string PeriodPath(string basePath, string period)
    {
        var candidate = $"{basePath}.{period}";
        for (var n = 1; Exists(candidate); n++)
        {
            candidate = $"{basePath}.{period}.{n.ToString(CultureInfo.InvariantCulture)}";
        }

        return candidate;

        static bool Exists(string path) => File.Exists(path) || File.Exists(path + ".gz");
    }

    /// <summary>Every rotated copy (any naming), newest first by modification time.</summary>
    public static List<FileInfo> All(string basePath)
    {
        var directory = new DirectoryInfo(Path.GetDirectoryName(basePath)!);
        if (!directory.Exists)
        {
            return [];
        }

        return Siblings(basePath)
            .Where(f => !f.EndsWith(".tmp", StringComparison.Ordinal))
            .Select(f => new FileInfo(f))
            .OrderByDescending(f => f.LastWriteTimeUtc)
            .ToList();
    }

    /// <summary>Files named <c>base.*</c> (matched by hand: the framework's "*" patterns also match "base" itself).</summary>
    private static IEnumerable<string> Siblings(string basePath)
    {
        var prefix = Path.GetFileName(basePath) + ".";
        return Directory.EnumerateFiles(Path.GetDirectoryName(basePath)!)
            .Where(f => Path.GetFileName(f).StartsWith(prefix, StringComparison.Ordinal) && Path.GetFileName(f).Length > prefix.Length);
    }

    /// <summary>Time mode housekeeping: keeps the newest <paramref name="keep"/> copies and none older than <paramref name="maxAge"/>.</summary>
    public static void Prune(string basePath, int? keep, TimeSpan? maxAge, DateTimeOffset now)
    {
        var copies = All(basePath);
        for (var i = 0; i < copies.Count; i++)
        {
            var tooMany = keep is { } k && i >= k;
            var tooOld = maxAge is { } age && now - copies[i].LastWriteTimeUtc > age;
            if (tooMany || tooOld)
            {
                copies[i].Delete();
            }
        }
    }
}
