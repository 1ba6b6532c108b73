using System.Globalization;

namespace ProcessMaster.Core.Configuration.Values;

/// <summary>A list of CPUs as the kernel writes them (<c>0-3,6</c>), for <c>process.cpu_affinity</c>.</summary>
public static class CpuList
{
    /// <summary>The largest CPU number a glibc cpu_set_t holds.</summary>
    public const int MaxCpu = 1023;

    /// <summary>The CPUs, ascending, each once.</summary>
    public static int[] Parse(string text)
    {
        var cpus = new SortedSet<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var dash = part.IndexOf('-');
            var (from, to) = dash < 0 ? (Cpu(part, text), Cpu(part, text)) : (Cpu(part[..dash], text), Cpu(part[(dash + 1)..], text));
            if (to < from)
            {
                throw new FormatException($"'{part}' in '{text}' is a range that runs backwards");
            }

            for (var cpu = from; cpu <= to; cpu++)
            {
                cpus.Add(cpu);
            }
        }

        return [.. cpus];
    }

    /// <summary>The kernel's form of <paramref name="cpus"/> (ascending): ranges joined by commas.</summary>
    public static string Format(IReadOnlyList<int> cpus)
    {
        var parts = new List<string>();
        for (var i = 0; i < cpus.Count;)
        {
            var j = i;
            while (j + 1 < cpus.Count && cpus[j + 1] == cpus[j] + 1)
            {
                j++;
            }

            parts.Add(i == j ? cpus[i].ToString(CultureInfo.InvariantCulture) : $"{cpus[i]}-{cpus[j]}");
            i = j + 1;
        }

        return string.Join(',', parts);
    }

    private static int Cpu(string text, string whole) =>
        int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var cpu) && cpu <= MaxCpu
            ? cpu
            : throw new FormatException($"'{whole}' is not a CPU list such as 0-3,6 (CPUs 0 to {MaxCpu})");
}
