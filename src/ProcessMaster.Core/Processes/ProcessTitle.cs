using ProcessMaster.Core.Interop;

namespace ProcessMaster.Core.Processes;

/// <summary>
/// The argv[0] a service is started with, so <c>ps</c> shows which service a process belongs to
/// (<c>sleep[web]</c>). Programs that choose their behaviour by the name they are called by (busybox,
/// where /bin/sh is a link to it; clang; anything installed as links) would break, so only a command
/// that resolves to a regular file of exactly that name with a single link is decorated.
/// </summary>
public static class ProcessTitle
{
    /// <summary>The decorated argv[0], or null to keep the command's own.</summary>
    public static string? Decorate(string command, string label, string workingDirectory, IReadOnlyList<string> environment)
    {
        var resolved = Resolve(command, workingDirectory, environment);
        if (resolved is null || PosixFile.LStat(resolved) is not { } st)
        {
            return null;
        }

        var plainFile = (st.Mode & Libc.S_IFMT) == Libc.S_IFREG && st.Links == 1;
        return plainFile ? $"{Path.GetFileName(command)}[{label}]" : null;
    }

    /// <summary>Where execvp would find <paramref name="command"/>: as given when it has a slash, else along PATH.</summary>
    private static string? Resolve(string command, string workingDirectory, IReadOnlyList<string> environment)
    {
        if (command.Contains('/'))
        {
            return Path.GetFullPath(command, workingDirectory);
        }

        var path = environment.FirstOrDefault(v => v.StartsWith("PATH=", StringComparison.Ordinal))?[5..] ?? ServiceEnvironment.DefaultPath;
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(Path.GetFullPath(dir, workingDirectory), command))
            .FirstOrDefault(File.Exists);
    }
}
