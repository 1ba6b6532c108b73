using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using ProcessMaster.Core.Interop;

namespace ProcessMaster.Core.Cgroups;

/// <summary>Reads and writes cgroup control files with one system call each, as the kernel expects.</summary>
public static unsafe class CgroupFs
{
    /// <summary>Writes <paramref name="value"/>; throws <see cref="CgroupException"/> naming the file and the error.</summary>
    public static void Write(string path, string value)
    {
        if (TryWrite(path, value, out var error) is false)
        {
            throw new CgroupException($"cannot write '{value.TrimEnd()}' to {path}: {error}");
        }
    }

    public static bool TryWrite(string path, string value, out string error)
    {
        var fd = Libc.Open(path, Libc.O_WRONLY | Libc.O_CLOEXEC, 0);
        if (fd < 0)
        {
            error = Linux.LastErrorText();
            return false;
        }

        try
        {
            var bytes = Encoding.ASCII.GetBytes(value.EndsWith('\n') ? value : value + "\n");
            fixed (byte* p = bytes)
            {
                if (Libc.Write(fd, p, bytes.Length) < 0)
                {
                    error = Linux.LastErrorText();
                    return false;
                }
            }
        }
        finally
        {
            Libc.Close(fd);
        }

        error = "";
        return true;
    }

    /// <summary>The file's text, or null when it does not exist.</summary>
    public static string? Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>A single number (or <c>max</c> as null) from a file such as memory.current; null when missing.</summary>
    public static long? ReadNumber(string path) =>
        long.TryParse(Read(path)?.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;

    /// <summary>The populated flag from <c>cgroup.events</c>; false when the group is gone.</summary>
    public static bool IsPopulated(string group) =>
        Read(Path.Combine(group, "cgroup.events")) is { } events && events.Contains("populated 1", StringComparison.Ordinal);

    /// <summary>Every pid in <paramref name="group"/> and its descendants, sorted.</summary>
    public static List<int> ReadPidsRecursive(string group)
    {
        var pids = new List<int>();
        Collect(group, pids);
        pids.Sort();
        return pids;
    }

    private static void Collect(string group, List<int> pids)
    {
        if (Read(Path.Combine(group, "cgroup.procs")) is not { } procs)
        {
            return;
        }

        foreach (var line in procs.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                pids.Add(pid);
            }
        }

        try
        {
            foreach (var child in Directory.EnumerateDirectories(group))
            {
                Collect(child, pids);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The group was removed while we looked.
        }
    }

    /// <summary>Removes a group and every group below it, deepest first; groups must be empty of processes.</summary>
    public static bool RemoveTree(string group)
    {
        if (!Directory.Exists(group))
        {
            return true;
        }

        try
        {
            foreach (var child in Directory.EnumerateDirectories(group))
            {
                RemoveTree(child);
            }

            Directory.Delete(group);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Creates a group (and its parents) unless it exists.</summary>
    public static void Create(string group)
    {
        try
        {
            Directory.CreateDirectory(group);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CgroupException($"cannot create cgroup {group}: {e.Message}");
        }
    }

    /// <summary>Enables every controller of <paramref name="wanted"/> that <paramref name="group"/> offers for its children.</summary>
    public static IReadOnlyList<string> EnableSubtreeControllers(string group, IEnumerable<string>? wanted)
    {
        var offered = (Read(Path.Combine(group, "cgroup.controllers")) ?? "").Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
        var enabled = (Read(Path.Combine(group, "cgroup.subtree_control")) ?? "").Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
        var missing = offered.Where(c => (wanted is null || wanted.Contains(c)) && !enabled.Contains(c)).ToList();
        var failures = new List<string>();
        foreach (var controller in missing)
        {
            if (!TryWrite(Path.Combine(group, "cgroup.subtree_control"), "+" + controller, out var error))
            {
                failures.Add($"cannot enable the {controller} controller in {group}: {error}");
            }
        }

        return failures;
    }

    /// <summary>Whether <paramref name="pid"/> is (still) in <paramref name="group"/> or below it on the v2 hierarchy.</summary>
    public static bool PidIsInGroup(int pid, string v2Root, string group)
    {
        var text = Read($"/proc/{pid}/cgroup");
        if (text is null)
        {
            return false;
        }

        var relative = group[v2Root.Length..];
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("0::", StringComparison.Ordinal))
            {
                var path = line[3..];
                return path == relative || path.StartsWith(relative + "/", StringComparison.Ordinal);
            }
        }

        return false;
    }

    internal static string LastError() => Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
}
