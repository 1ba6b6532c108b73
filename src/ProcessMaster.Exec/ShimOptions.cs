using System.Globalization;

namespace ProcessMaster.Exec;

/// <summary>The shim's command line: <c>[options] -- command [args...]</c>.</summary>
internal sealed class ShimOptions
{
    public List<string> CgroupProcsFiles { get; } = [];

    public uint? Uid { get; private set; }

    public uint? Gid { get; private set; }

    public uint[] Groups { get; private set; } = [];

    public string? WorkingDirectory { get; private set; }

    public string? Argv0 { get; private set; }

    /// <summary>A descriptor the daemon reads: it sees an error message, or end-of-file once exec succeeded.</summary>
    public int? StatusFd { get; private set; }

    /// <summary>Descriptors above stderr that the command is meant to have; every other one is closed at exec.</summary>
    public List<int> KeptFds { get; } = [];

    public string[] Command { get; private set; } = [];

    public int? Umask { get; private set; }

    /// <summary>Each as (RLIMIT_ number, soft, hard); ulong.MaxValue is unlimited.</summary>
    public List<(int Resource, ulong Soft, ulong Hard)> Limits { get; } = [];

    public int? Nice { get; private set; }

    /// <summary>The ioprio_set value: class in the top bits, level below.</summary>
    public int? IoPriority { get; private set; }

    public List<int> Cpus { get; } = [];

    public int? OomScoreAdjust { get; private set; }

    public const string Usage =
        "usage: processmaster-exec [--cgroup-procs FILE]... [--uid N --gid N [--groups N,N...]] [--chdir DIR] " +
        "[--argv0 NAME] [--status-fd N] [--keep-fd N]... [--umask OCTAL] [--rlimit RES:SOFT:HARD]... [--nice N] " +
        "[--ioprio N] [--cpus LIST] [--oom-score-adj N] -- COMMAND [ARG...]";

    public static ShimOptions Parse(string[] args)
    {
        var options = new ShimOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ShimException($"{args[i]} needs a value");
            uint Number() => uint.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                ? n
                : throw new ShimException($"{args[i - 1]} needs a number, got '{args[i]}'");
            int Signed() => int.TryParse(Value(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
                ? n
                : throw new ShimException($"{args[i - 1]} needs a number, got '{args[i]}'");

            switch (args[i])
            {
                case "--cgroup-procs": options.CgroupProcsFiles.Add(Value()); break;
                case "--uid": options.Uid = Number(); break;
                case "--gid": options.Gid = Number(); break;
                case "--groups":
                    options.Groups = Value().Split(',', StringSplitOptions.RemoveEmptyEntries)
                        .Select(g => uint.TryParse(g, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                            ? n
                            : throw new ShimException($"--groups needs numbers, got '{g}'"))
                        .ToArray();
                    break;
                case "--chdir": options.WorkingDirectory = Value(); break;
                case "--argv0": options.Argv0 = Value(); break;
                case "--status-fd": options.StatusFd = (int)Number(); break;
                case "--keep-fd": options.KeptFds.Add((int)Number()); break;
                case "--umask": options.Umask = Octal(Value()); break;
                case "--rlimit": options.Limits.Add(Limit(Value())); break;
                case "--nice": options.Nice = Signed(); break;
                case "--ioprio": options.IoPriority = (int)Number(); break;
                case "--cpus": options.Cpus.AddRange(CpuList(Value())); break;
                case "--oom-score-adj": options.OomScoreAdjust = Signed(); break;
                case "--":
                    options.Command = args[(i + 1)..];
                    i = args.Length;
                    break;
                default: throw new ShimException($"unknown option '{args[i]}'");
            }
        }

        if (options.Command.Length == 0 || options.Command[0].Length == 0)
        {
            throw new ShimException("no command given after --");
        }

        if (options.Uid.HasValue != options.Gid.HasValue)
        {
            throw new ShimException("--uid and --gid go together");
        }

        return options;
    }

    private static int Octal(string text)
    {
        try
        {
            return Convert.ToInt32(text, 8);
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            throw new ShimException($"--umask needs an octal mode, got '{text}'");
        }
    }

    private static (int, ulong, ulong) Limit(string text)
    {
        var parts = text.Split(':');
        ulong Value(string part) => part == "inf" ? ulong.MaxValue
            : ulong.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n
            : throw new ShimException($"--rlimit needs RESOURCE:SOFT:HARD, got '{text}'");
        return parts.Length == 3 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var resource)
            ? (resource, Value(parts[1]), Value(parts[2]))
            : throw new ShimException($"--rlimit needs RESOURCE:SOFT:HARD, got '{text}'");
    }

    /// <summary>A kernel CPU list (<c>0-3,6</c>).</summary>
    private static IEnumerable<int> CpuList(string text)
    {
        foreach (var part in text.Split(','))
        {
            var range = part.Split('-');
            if (range.Length is < 1 or > 2 || !int.TryParse(range[0], NumberStyles.None, CultureInfo.InvariantCulture, out var from)
                || !int.TryParse(range[^1], NumberStyles.None, CultureInfo.InvariantCulture, out var to) || to < from || to > 1023)
            {
                throw new ShimException($"--cpus needs a CPU list such as 0-3,6, got '{text}'");
            }

            for (var cpu = from; cpu <= to; cpu++)
            {
                yield return cpu;
            }
        }
    }
}

/// <summary>A failure before exec: reported to the daemon and the service's stderr, then exit 127.</summary>
internal sealed class ShimException(string message) : Exception(message);
