using ProcessMaster.Core.Files;
using ProcessMaster.Core.Logs;
using ProcessMaster.Core.Supervision;
using ProcessMaster.Protocol;

namespace ProcessMaster.Daemon.Control;

/// <summary><c>logs</c> (the last lines of each of a service's files) and <c>logs.follow</c> (new lines as they are written).</summary>
internal sealed partial class ControlApi
{
    public const int MaxTailLines = 100_000;

    /// <summary>Most bytes of log text one call reads, shared by the service's files: a reply stays small whatever n asks.</summary>
    public const int MaxTailBytes = 1024 * 1024;

    private LogsResult Logs(LogsParams parameters)
    {
        CheckLineCount(parameters.N);
        var (files, owners) = LogFilesOf(manager.Find(parameters.Name));
        return new LogsResult(files.Select(f => Tail(f, parameters.N, owners, MaxTailBytes / files.Count)).ToList());
    }

    private LogsFollowResult LogsFollow(LogsFollowParams parameters, RpcSession session)
    {
        CheckLineCount(parameters.N);
        var services = parameters.Name is null ? [.. manager.Services.Values] : new[] { manager.Find(parameters.Name) };
        var files = services
            .SelectMany(s => LogFilesOf(s) is var (paths, owners) ? paths.Select(p => (Path: p, Owners: owners)) : [])
            .Where(f => parameters.Filename is null || Path.GetFileName(f.Path) == parameters.Filename || f.Path == parameters.Filename)
            .DistinctBy(f => f.Path, StringComparer.Ordinal)
            .OrderBy(f => f.Path, StringComparer.Ordinal)
            .ToList();
        if (files.Count == 0)
        {
            throw new RpcException(RpcErrorCodes.NotFound, parameters.Filename is null
                ? "no log files found"
                : $"no log files found matching filename {parameters.Filename}");
        }

        var queue = OpenStream(session, Methods.LogsFollow.Name);
        var resume = (parameters.Resume ?? []).DistinctBy(p => p.Path, StringComparer.Ordinal).ToDictionary(p => p.Path, p => p.Offset, StringComparer.Ordinal);
        var tails = new List<LogTail>();
        foreach (var (file, owners) in files)
        {
            var tail = Tail(file, parameters.N, owners, MaxTailBytes / files.Count);
            if (Follow(file, owners,
                    (line, offset) => queue.Enqueue(JsonRpc.Notification(Methods.LogLineNotification.Name, new LogLine(file, line, offset), Methods.LogLineNotification.Params)),
                    () => queue.Enqueue(JsonRpc.Notification(Methods.LogRotatedNotification.Name, new LogRotated(file), Methods.LogRotatedNotification.Params)),
                    resume.TryGetValue(file, out var offset) ? Math.Max(0, offset) : null)
                is { } follower)
            {
                session.Own(follower);
                tail = tail with { Offset = follower.StartOffset };
            }

            tails.Add(tail);
        }

        return new LogsFollowResult(tails);
    }

    /// <summary>The files of a service that may be served, and who may own them.</summary>
    private (List<string> Files, FileOwners Owners) LogFilesOf(ServiceSupervisor service)
    {
        var definition = service.Snapshot.Definition;
        return (ServiceLogFiles.Existing(definition), ServiceLogFiles.Owners(definition, users));
    }

    /// <summary>The last lines of one file (at most <paramref name="maxBytes"/> of them), or a line saying why it cannot be read.</summary>
    private static LogTail Tail(string file, int lines, FileOwners owners, int maxBytes)
    {
        try
        {
            return new LogTail(file, lines == 0 ? [] : LogTailReader.LastLines(file, lines, owners, maxBytes));
        }
        catch (IOException e)
        {
            return new LogTail(file, [$"(cannot read: {e.Message})"]);
        }
    }

    /// <summary>Follows a file (from <paramref name="from"/>, else its end), or null when its directory cannot be reached safely (its tail already says why).</summary>
    private LogFollower? Follow(string file, FileOwners owners, Action<string, long> onLine, Action onRotated, long? from)
    {
        try
        {
            return new LogFollower(logInotify, file, owners, onLine, onRotated, from);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static void CheckLineCount(int n)
    {
        if (n is < 0 or > MaxTailLines)
        {
            throw RequestErrors.InvalidParams($"parameter 'n' must be between 0 and {MaxTailLines}");
        }
    }
}
