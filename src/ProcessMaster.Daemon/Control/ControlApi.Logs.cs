using ProcessMaster.Core.Logs;
using ProcessMaster.Protocol;

namespace ProcessMaster.Daemon.Control;

/// <summary><c>logs</c> (the last lines of each of a service's files) and <c>logs.follow</c> (new lines as they are written).</summary>
internal sealed partial class ControlApi
{
    public const int MaxTailLines = 100_000;
    public const int MaxFollowSessions = 64;

    private int _followSessions;

    private LogsResult Logs(LogsParams parameters)
    {
        CheckLineCount(parameters.N);
        var service = Find(parameters.Name);
        return new LogsResult(ServiceLogFiles.Existing(service.Snapshot.Definition).Select(f => Tail(f, parameters.N)).ToList());
    }

    private Task<LogsFollowResult> LogsFollowAsync(LogsFollowParams parameters, RpcSession session)
    {
        CheckLineCount(parameters.N);
        var services = parameters.Name is null ? [.. manager.Services.Values] : new[] { Find(parameters.Name) };
        var files = services
            .SelectMany(s => ServiceLogFiles.Existing(s.Snapshot.Definition))
            .Where(f => parameters.Filename is null || Path.GetFileName(f) == parameters.Filename || f == parameters.Filename)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
        if (files.Count == 0)
        {
            throw new RpcException(RpcErrorCodes.NotFound, parameters.Filename is null
                ? "no log files found"
                : $"no log files found matching filename {parameters.Filename}");
        }

        if (Interlocked.Increment(ref _followSessions) > MaxFollowSessions)
        {
            Interlocked.Decrement(ref _followSessions);
            throw new RpcException(RpcErrorCodes.Unavailable, $"too many concurrent log-follow sessions (limit {MaxFollowSessions}); try again shortly");
        }

        session.Own(new Releaser(() => Interlocked.Decrement(ref _followSessions)));
        var queue = new NotificationQueue(session);
        session.Own(queue);
        var tails = new List<LogTail>();
        foreach (var file in files)
        {
            tails.Add(Tail(file, parameters.N));
            session.Own(new LogFollower(runtime.Inotify, file,
                line => queue.Enqueue(JsonRpc.Notification(Methods.LogLineNotification.Name, new LogLine(file, line), Methods.LogLineNotification.Params)),
                () => queue.Enqueue(JsonRpc.Notification(Methods.LogRotatedNotification.Name, new LogRotated(file), Methods.LogRotatedNotification.Params))));
        }

        return Task.FromResult(new LogsFollowResult(tails));
    }

    /// <summary>The last lines of one file, or a line saying why it cannot be read.</summary>
    public static LogTail Tail(string file, int lines)
    {
        try
        {
            return new LogTail(file, lines == 0 ? [] : LogTailReader.LastLines(file, lines));
        }
        catch (IOException e)
        {
            return new LogTail(file, [$"(cannot read: {e.Message})"]);
        }
    }

    private static void CheckLineCount(int n)
    {
        if (n is < 0 or > MaxTailLines)
        {
            throw InvalidParams($"parameter 'n' must be between 0 and {MaxTailLines}");
        }
    }

    private sealed class Releaser(Action release) : IDisposable
    {
        public void Dispose() => release();
    }
}
