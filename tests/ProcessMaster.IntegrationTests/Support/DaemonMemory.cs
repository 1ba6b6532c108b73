namespace ProcessMaster.IntegrationTests.Support;

/// <summary>A process's memory as the kernel counts it (/proc/PID/status).</summary>
public static class DaemonMemory
{
    /// <summary>Resident set size now.</summary>
    public static long Rss(int pid) => Field(pid, "VmRSS:");

    /// <summary>The highest resident set size the process ever had.</summary>
    public static long PeakRss(int pid) => Field(pid, "VmHWM:");

    public static string Megabytes(long bytes) => $"{bytes / 1048576.0:0.0} MB";

    private static long Field(int pid, string name)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(name, StringComparison.Ordinal));
        return long.Parse(line[name.Length..].Trim().Split(' ')[0]) * 1024;
    }
}
