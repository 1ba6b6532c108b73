using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Files;
using ProcessMaster.Core.Processes;

namespace ProcessMaster.Core.Logs;

/// <summary>
/// The files a service's logs may be read from: its stdout, stderr and stop_command logs, and its hints
/// as long as they are inside the working directory. Nothing else is ever served, and each is reached
/// without following a symlink (<see cref="SafeDirectory"/>), so a hint or log replaced by a link cannot
/// lead outside the service's own files.
/// </summary>
public static class ServiceLogFiles
{
    /// <summary>The servable files that exist now (as anything: a refused one is reported when read), in display order.</summary>
    public static List<string> Existing(ServiceDefinition definition)
    {
        var files = new List<string>();
        var candidates = new[] { definition.Logs.Stdout, definition.Logs.Stderr, definition.Logs.StopCommandStdout, definition.Logs.StopCommandStderr }
            .Concat(definition.Logs.Hints.Where(h => IsContained(h, definition.WorkingDirectory)));
        foreach (var path in candidates)
        {
            if (path is not null && !files.Contains(path) && Exists(path))
            {
                files.Add(path);
            }
        }

        return files;
    }

    /// <summary>Who may own a service's log files: root, which creates the captured ones, and the service's user, who writes hints.</summary>
    public static FileOwners Owners(ServiceDefinition definition, IUserDatabase users) =>
        new(definition.Process.User is { } user ? users.FindUser(user)?.Uid ?? 0 : 0);

    /// <summary>Whether <paramref name="path"/> lies inside <paramref name="directory"/>, by name (no link is ever followed when it is opened).</summary>
    public static bool IsContained(string path, string directory) =>
        Path.GetFullPath(path).StartsWith(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)) + "/", StringComparison.Ordinal);

    private static bool Exists(string path)
    {
        try
        {
            using var directory = SafeDirectory.OpenParent(path, out var name);
            return directory.Stat(name) is not null;
        }
        catch (UnsafeFileException)
        {
            return true; // listed, so that reading it says why it is refused
        }
        catch (IOException)
        {
            return false;
        }
    }
}
