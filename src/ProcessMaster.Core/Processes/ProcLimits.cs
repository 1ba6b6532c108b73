using System.Text.RegularExpressions;

namespace ProcessMaster.Core.Processes;

/// <summary>One resource limit a process has, as <c>/proc/PID/limits</c> says (<c>unlimited</c> or a number).</summary>
/// <param name="Name">As <c>process.limits</c> names it (<c>open_files</c>).</param>
public sealed record EffectiveLimit(string Name, string Soft, string Hard);

/// <summary>The limits of a running process that <c>process.limits</c> can set, read from <c>/proc/PID/limits</c>.</summary>
public static partial class ProcLimits
{
    private static readonly (string Proc, string Name)[] Rows =
    [
        ("Max open files", "open_files"),
        ("Max processes", "processes"),
        ("Max core file size", "core_size"),
        ("Max locked memory", "locked_memory"),
        ("Max stack size", "stack_size"),
    ];

    /// <summary>The limits of <paramref name="pid"/>; empty when it is gone.</summary>
    public static List<EffectiveLimit> Read(int pid)
    {
        try
        {
            return Parse(File.ReadAllText($"/proc/{pid}/limits"));
        }
        catch (IOException)
        {
            return [];
        }
    }

    /// <summary>The limits in the order <c>process.limits</c> documents them.</summary>
    public static List<EffectiveLimit> Parse(string text)
    {
        var lines = text.Split('\n');
        var limits = new List<EffectiveLimit>(Rows.Length);
        foreach (var (proc, name) in Rows)
        {
            if (lines.FirstOrDefault(l => l.StartsWith(proc + " ", StringComparison.Ordinal)) is { } line && Values().Match(line[proc.Length..]) is { Success: true } m)
            {
                limits.Add(new EffectiveLimit(name, m.Groups[1].Value, m.Groups[2].Value));
            }
        }

        return limits;
    }

    [GeneratedRegex(@"^\s+(\S+)\s+(\S+)")]
    private static partial Regex Values();
}
