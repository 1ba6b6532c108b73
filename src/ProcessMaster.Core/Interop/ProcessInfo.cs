using System.Globalization;

namespace ProcessMaster.Core.Interop;

/// <summary>What /proc says about a process.</summary>
public static class ProcessInfo
{
    /// <summary>The parent of <paramref name="pid"/>, or null when it does not exist (any more).</summary>
    public static int? Parent(int pid)
    {
        try
        {
            // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read from the last ')'.
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ', 3);
            return fields.Length >= 2 && int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var parent) ? parent : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
