namespace ProcessMaster.IntegrationTests.Support;

/// <summary>Facts about processes read from /proc.</summary>
public static class ProcessTable
{
    public static bool Exists(int pid) => File.Exists($"/proc/{pid}/stat") && State(pid) is not 'Z' and not null;

    /// <summary>The state letter from /proc/PID/stat (R, S, Z, ...), or null when the process is gone.</summary>
    public static char? State(int pid) => Stat(pid) is { } fields ? fields[0][0] : null;

    public static int? Parent(int pid) => Stat(pid) is { } fields && int.TryParse(fields[1], out var ppid) ? ppid : null;

    /// <summary>Zombie processes whose parent is <paramref name="parent"/>.</summary>
    public static HashSet<int> Zombies(int parent) =>
        System.IO.Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 0 && Stat(pid) is { } fields && fields[0] == "Z" && fields[1] == parent.ToString())
            .ToHashSet();

    /// <summary>Fields of /proc/PID/stat after the command name: state, ppid, ...</summary>
    private static string[]? Stat(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            return text[(text.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null;
        }
    }

    public static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>
    /// For a failure message: the process's signal masks (pending, blocked, ignored, caught) and each
    /// thread's name, state and kernel wait channel, so a handler that never ran shows why.
    /// </summary>
    public static string SignalsAndThreads(int pid)
    {
        try
        {
            var masks = File.ReadLines($"/proc/{pid}/status")
                .Where(l => l.StartsWith("Sig", StringComparison.Ordinal) || l.StartsWith("ShdPnd", StringComparison.Ordinal))
                .Select(l => l.Replace('\t', ' '));
            var threads = System.IO.Directory.EnumerateDirectories($"/proc/{pid}/task").Select(task =>
            {
                var name = File.ReadAllText($"{task}/comm").Trim();
                var stat = File.ReadAllText($"{task}/stat");
                var wchan = File.Exists($"{task}/wchan") ? File.ReadAllText($"{task}/wchan") : "?";
                return $"{Path.GetFileName(task)} {name} {stat[stat.LastIndexOf(')') + 2]} {wchan}";
            });
            return string.Join("; ", masks) + "\nthreads: " + string.Join(", ", threads);
        }
        catch (IOException e)
        {
            return e.Message;
        }
    }
}
