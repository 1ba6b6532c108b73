using System.Globalization;
using System.Text;

namespace ProcessMaster.Core.Interop;

/// <summary>One process as <c>/proc</c> describes it, for <c>pmctl ps</c>.</summary>
/// <param name="CpuTicks">User plus system time, in clock ticks.</param>
/// <param name="StartTicks">When it started, in clock ticks after boot.</param>
/// <param name="Command">Its command line, arguments joined by spaces; <c>[comm]</c> when it has none (a kernel thread, a zombie).</param>
public sealed record ProcessSample(int Pid, int Parent, uint Uid, long CpuTicks, long RssPages, long StartTicks, string Command);

/// <summary>What /proc says about a process.</summary>
public static class ProcessInfo
{
    /// <summary>Longest command line kept: a process chooses its own, so it is bounded here.</summary>
    public const int MaxCommand = 4096;

    /// <summary>Clock ticks per second of the times in <c>/proc/PID/stat</c>.</summary>
    public static readonly long TicksPerSecond = Math.Max(1, Libc.Sysconf(Libc._SC_CLK_TCK));

    /// <summary>When the host booted (<c>btime</c> of <c>/proc/stat</c>), the zero of a process's start ticks.</summary>
    public static DateTimeOffset BootTime()
    {
        foreach (var line in File.ReadLines("/proc/stat"))
        {
            if (line.StartsWith("btime ", StringComparison.Ordinal) && long.TryParse(line.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            {
                return DateTimeOffset.FromUnixTimeSeconds(seconds);
            }
        }

        return DateTimeOffset.UnixEpoch;
    }

    /// <summary>The parent of <paramref name="pid"/>, or null when it does not exist (any more).</summary>
    public static int? Parent(int pid) => ReadText(pid, "stat") is { } stat && ParseStat(stat) is { } fields ? fields.Parent : null;

    /// <summary>Reads <paramref name="pid"/>, or null when it has gone meanwhile.</summary>
    public static ProcessSample? Read(int pid)
    {
        if (ReadText(pid, "stat") is not { } stat || ParseStat(stat) is not { } fields || ReadText(pid, "status") is not { } status)
        {
            return null;
        }

        var command = ReadText(pid, "cmdline", MaxCommand) is { Length: > 0 } cmdline
            ? JoinArguments(cmdline)
            : $"[{JoinArguments(fields.Comm)}]"; // a process names itself (PR_SET_NAME): no terminal escapes through it either
        return new ProcessSample(pid, fields.Parent, ParseUid(status) ?? 0, fields.CpuTicks, fields.RssPages, fields.StartTicks, command);
    }

    /// <summary>
    /// The fields of <c>/proc/PID/stat</c> used here. "pid (comm) state ppid ...": comm may hold spaces and
    /// parentheses, so the fields are counted from the last ')'.
    /// </summary>
    public static (string Comm, int Parent, long CpuTicks, long StartTicks, long RssPages)? ParseStat(string stat)
    {
        var open = stat.IndexOf('(');
        var close = stat.LastIndexOf(')');
        if (open < 0 || close < open || close + 2 > stat.Length)
        {
            return null;
        }

        // After ')': state(3) ppid(4) ... utime(14) stime(15) ... starttime(22) vsize(23) rss(24).
        var fields = stat[(close + 2)..].Split(' ');
        long Field(int number) => fields.Length > number - 3 && long.TryParse(fields[number - 3], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) ? v : -1;
        var parent = Field(4);
        if (parent < 0)
        {
            return null;
        }

        return (stat[(open + 1)..close], (int)parent, Math.Max(0, Field(14)) + Math.Max(0, Field(15)), Math.Max(0, Field(22)), Math.Max(0, Field(24)));
    }

    /// <summary>The real uid from <c>/proc/PID/status</c> ("Uid:\treal\teffective\tsaved\tfs").</summary>
    public static uint? ParseUid(string status)
    {
        foreach (var line in status.Split('\n'))
        {
            if (line.StartsWith("Uid:", StringComparison.Ordinal))
            {
                var ids = line[4..].Split('\t', StringSplitOptions.RemoveEmptyEntries);
                return ids.Length > 0 && uint.TryParse(ids[0], NumberStyles.None, CultureInfo.InvariantCulture, out var uid) ? uid : null;
            }
        }

        return null;
    }

    /// <summary>NUL-separated arguments as one line; control characters a process put in its arguments become '?'.</summary>
    public static string JoinArguments(string cmdline)
    {
        var text = new StringBuilder(cmdline.Length);
        foreach (var c in cmdline.TrimEnd('\0'))
        {
            text.Append(c == '\0' ? ' ' : char.IsControl(c) ? '?' : c);
        }

        return text.ToString();
    }

    // stat is a few hundred bytes; the Uid line comes early in status (a long Groups line may be cut).
    private static string? ReadText(int pid, string file, int limit = 4096)
    {
        try
        {
            using var stream = new FileStream($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/{file}", FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 0);
            Span<byte> buffer = stackalloc byte[limit];
            var length = 0;
            int read;
            while (length < limit && (read = stream.Read(buffer[length..])) > 0)
            {
                length += read;
            }

            return Encoding.UTF8.GetString(buffer[..length]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
