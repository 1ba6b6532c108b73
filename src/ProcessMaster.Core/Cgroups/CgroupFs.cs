using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Supervision.Ports;

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

    // Control files are small; status reads several per service, so they are read with plain system calls
    // into one page-sized buffer per thread rather than through streams and readers. A larger file (the pid
    // list of a service with hundreds of processes, io.stat of many disks) is read into a larger buffer that
    // is not kept: a 64 KiB buffer per thread was 450 KB of the daemon's idle heap.
    private const int ReadBufferBytes = 4096;

    [ThreadStatic] private static byte[]? t_buffer;

    /// <summary>The file's text, or null when it does not exist.</summary>
    public static string? Read(string path)
    {
        var length = ReadBytes(OpenRead(path), out var buffer);
        return length < 0 ? null : Encoding.UTF8.GetString(buffer, 0, length);
    }

    /// <summary><see cref="Read(string)"/> of a file of <paramref name="group"/>.</summary>
    public static string? Read(CgroupDirectory group, string file)
    {
        var length = ReadBytes(group.OpenRead(file), out var buffer);
        return length < 0 ? null : Encoding.UTF8.GetString(buffer, 0, length);
    }

    private static int OpenRead(string path) => Libc.Open(path, Libc.O_RDONLY | Libc.O_CLOEXEC, 0);

    /// <summary>
    /// Reads a whole control file from <paramref name="fd"/> (then closed) into <paramref name="buffer"/>, the
    /// thread's buffer unless the file is larger; -1 when it cannot be read.
    /// </summary>
    /// <param name="manyRecords">
    /// A file the kernel hands out one page at a time (pid lists): read until it says end of file. Every
    /// other control file is generated whole, so a read that returns less than asked is its end.
    /// </param>
    private static int ReadBytes(int fd, out byte[] buffer, bool manyRecords = false)
    {
        buffer = t_buffer ??= new byte[ReadBufferBytes];
        if (fd < 0)
        {
            return -1;
        }

        try
        {
            var total = 0;
            while (true)
            {
                if (total == buffer.Length)
                {
                    var larger = new byte[buffer.Length * 2];
                    buffer.AsSpan().CopyTo(larger);
                    buffer = larger;
                }

                var wanted = buffer.Length - total;
                int n;
                fixed (byte* p = buffer)
                {
                    n = (int)Libc.Read(fd, p + total, wanted);
                }

                if (n <= 0)
                {
                    return n < 0 ? -1 : total;
                }

                total += n;
                if (n < wanted && !manyRecords)
                {
                    return total;
                }
            }
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    /// <summary>A single number (or <c>max</c> as null) from a file such as memory.current; null when missing.</summary>
    public static long? ReadNumber(string path) => ParseNumber(ReadBytes(OpenRead(path), out var buffer), buffer);

    /// <summary><see cref="ReadNumber(string)"/> of a file of <paramref name="group"/>.</summary>
    public static long? ReadNumber(CgroupDirectory group, string file) => ParseNumber(ReadBytes(group.OpenRead(file), out var buffer), buffer);

    private static long? ParseNumber(int length, byte[] buffer) =>
        length > 0 && long.TryParse(buffer.AsSpan(0, length).TrimEnd((byte)'\n'), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : null;

    /// <summary>The number after <paramref name="key"/> at the start of a line (flat-keyed files such as cpu.stat).</summary>
    public static long? ReadKeyedNumber(string path, ReadOnlySpan<byte> key) => ParseKeyedNumber(ReadBytes(OpenRead(path), out var buffer), buffer, key);

    /// <summary><see cref="ReadKeyedNumber(string, ReadOnlySpan{byte})"/> of a file of <paramref name="group"/>.</summary>
    public static long? ReadKeyedNumber(CgroupDirectory group, string file, ReadOnlySpan<byte> key) =>
        ParseKeyedNumber(ReadBytes(group.OpenRead(file), out var buffer), buffer, key);

    /// <summary><c>user_usec</c> and <c>system_usec</c> of cpu.stat, read once.</summary>
    public static (long? User, long? System) ReadCpuTimes(CgroupDirectory group)
    {
        var length = ReadBytes(group.OpenRead("cpu.stat"), out var buffer);
        return (ParseKeyedNumber(length, buffer, "user_usec "u8), ParseKeyedNumber(length, buffer, "system_usec "u8));
    }

    private static long? ParseKeyedNumber(int length, byte[] buffer, ReadOnlySpan<byte> key) =>
        FindLine(buffer.AsSpan(0, Math.Max(length, 0)), key, out var line) &&
        long.TryParse(line[key.Length..], NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : null;

    /// <summary>The first line of <paramref name="text"/> that starts with <paramref name="prefix"/>.</summary>
    private static bool FindLine(ReadOnlySpan<byte> text, ReadOnlySpan<byte> prefix, out ReadOnlySpan<byte> line)
    {
        while (!text.IsEmpty)
        {
            var end = text.IndexOf((byte)'\n');
            line = end < 0 ? text : text[..end];
            if (line.StartsWith(prefix))
            {
                return true;
            }

            text = end < 0 ? default : text[(end + 1)..];
        }

        line = default;
        return false;
    }

    /// <summary>A PSI file of <paramref name="group"/>; null where it cannot be read.</summary>
    public static PressureStat? ReadPressure(CgroupDirectory group, string file)
    {
        var length = ReadBytes(group.OpenRead(file), out var buffer);
        return length < 0 ? null : PressureStat.Parse(buffer.AsSpan(0, length));
    }

    /// <summary>The populated flag from <c>cgroup.events</c>; false when the group is gone.</summary>
    public static bool IsPopulated(string group) => ParsePopulated(ReadBytes(OpenRead(Path.Combine(group, "cgroup.events")), out var buffer), buffer);

    /// <summary><see cref="IsPopulated(string)"/> through an open <paramref name="group"/>.</summary>
    public static bool IsPopulated(CgroupDirectory group) => ParsePopulated(ReadBytes(group.OpenRead("cgroup.events"), out var buffer), buffer);

    private static bool ParsePopulated(int length, byte[] buffer) => length > 0 && buffer.AsSpan(0, length).IndexOf("populated 1"u8) >= 0;

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
        if (!ReadPids(Path.Combine(group, "cgroup.procs"), pids))
        {
            return;
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

    /// <summary>Adds the pids listed in a cgroup.procs file; false when it cannot be read.</summary>
    public static bool ReadPids(string procsFile, List<int> pids) => ParsePids(ReadBytes(OpenRead(procsFile), out var buffer, manyRecords: true), buffer, pids);

    /// <summary><see cref="ReadPids(string, List{int})"/> of a file of <paramref name="group"/> (e.g. <c>run/cgroup.procs</c>).</summary>
    public static bool ReadPids(CgroupDirectory group, string procsFile, List<int> pids) =>
        ParsePids(ReadBytes(group.OpenRead(procsFile), out var buffer, manyRecords: true), buffer, pids);

    private static bool ParsePids(int length, byte[] buffer, List<int> pids)
    {
        if (length < 0)
        {
            return false;
        }

        var pid = 0;
        for (var i = 0; i < length; i++)
        {
            var b = buffer[i];
            if (b == (byte)'\n')
            {
                pids.Add(pid);
                pid = 0;
            }
            else
            {
                pid = pid * 10 + (b - '0');
            }
        }

        return true;
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
