using ProcessMaster.Core.Configuration;

namespace ProcessMaster.Core.Logs;

/// <summary>
/// The files a service's logs may be read from: its stdout, stderr and stop_command logs, and its hints
/// as long as they (resolved through any symlinks) stay inside the working directory. Nothing else is
/// ever served.
/// </summary>
public static class ServiceLogFiles
{
    /// <summary>The servable files that exist now, in display order (stdout, stderr, stop logs, hints).</summary>
    public static List<string> Existing(ServiceDefinition definition)
    {
        var files = new List<string>();
        foreach (var path in new[] { definition.Logs.Stdout, definition.Logs.Stderr, definition.Logs.StopCommandStdout, definition.Logs.StopCommandStderr })
        {
            if (path is not null && File.Exists(path) && !files.Contains(path))
            {
                files.Add(path);
            }
        }

        foreach (var hint in definition.Logs.Hints)
        {
            if (File.Exists(hint) && IsContained(hint, definition.WorkingDirectory) && !files.Contains(hint))
            {
                files.Add(hint);
            }
        }

        return files;
    }

    /// <summary>Whether <paramref name="path"/>, with every symlink resolved, is inside <paramref name="directory"/>.</summary>
    public static bool IsContained(string path, string directory)
    {
        try
        {
            var real = Resolve(path);
            var root = Resolve(directory);
            return real.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static string Resolve(string path)
    {
        // Resolve component by component, as realpath(3) does.
        var result = "/";
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var next = Path.Combine(result, part);
            for (var hops = 0; new FileInfo(next).LinkTarget is { } target; hops++)
            {
                if (hops > 40)
                {
                    throw new IOException("too many symbolic links");
                }

                next = Path.GetFullPath(target, Path.GetDirectoryName(next)!);
            }

            result = next;
        }

        return result;
    }
}
