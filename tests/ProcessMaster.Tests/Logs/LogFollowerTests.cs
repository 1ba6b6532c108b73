using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Logs;
using ProcessMaster.Tests.Support;

namespace ProcessMaster.Tests.Logs;

public sealed class LogFollowerTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly EventLoop _loop = new();
    private readonly InotifyWatcher _inotify;

    public LogFollowerTests() => _inotify = new InotifyWatcher(_loop);

    public void Dispose()
    {
        _inotify.Dispose();
        _loop.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task Follow_DeliversNewLines_AcrossRotationAndTruncation_HoldingPartialLines()
    {
        var path = _dir.File("app.log", "old line\n");
        var lines = new List<string>();
        var rotations = 0;
        using var follower = new LogFollower(_inotify, path, TestOwners.Current, (l, _) => { lock (lines) lines.Add(l); }, () => Interlocked.Increment(ref rotations));

        await File.AppendAllTextAsync(path, "first\nsec");
        await File.AppendAllTextAsync(path, "ond\n");
        await WaitFor(() => Count(lines) == 2);

        File.Move(path, path + ".1"); // rotation: the file is replaced
        await File.WriteAllTextAsync(path, "after rotation\n");
        await WaitFor(() => Count(lines) == 3);

        await File.WriteAllTextAsync(path, "x\n"); // truncated and rewritten
        await WaitFor(() => Count(lines) == 4);

        Assert.Equal(["first", "second", "after rotation", "x"], lines);
        Assert.Equal(2, rotations);
    }

    [Fact]
    public async Task LinesWrittenJustBeforeARotation_AreDeliveredBeforeTheNewFilesLines()
    {
        var path = _dir.File("app.log", "");
        var lines = new List<string>();
        using var follower = new LogFollower(_inotify, path, TestOwners.Current, (l, _) => { lock (lines) lines.Add(l); }, () => { });
        await File.AppendAllTextAsync(path, "a\n");
        await WaitFor(() => Count(lines) == 1);

        // The follower lags: a line and the rotation happen before it looks again.
        _loop.Post(() => Thread.Sleep(200)); // holds the loop that delivers inotify events
        await File.AppendAllTextAsync(path, "b\n");
        File.Move(path, path + ".1");
        await File.WriteAllTextAsync(path, "c\n");
        await WaitFor(() => Count(lines) == 3);

        Assert.Equal(["a", "b", "c"], lines);
    }

    [Fact]
    public async Task AFollowResumedAtALinesOffset_GoesOnWithTheNextLine_AndOneResumedPastTheEnd_ReadsTheNewFileFromItsStart()
    {
        var path = _dir.File("app.log", "one\ntwo\n");
        var seen = new List<(string Line, long Offset)>();
        using (var first = new LogFollower(_inotify, path, TestOwners.Current, (l, o) => { lock (seen) seen.Add((l, o)); }, () => { }, from: 0))
        {
            Assert.Equal(0, first.StartOffset);
            await WaitFor(() => Count(seen) == 2);
        }

        Assert.Equal([("one", 4L), ("two", 8L)], seen);
        await File.AppendAllTextAsync(path, "three\nfour\n"); // written while nobody follows (a re-exec)
        var resumed = new List<string>();
        using (var second = new LogFollower(_inotify, path, TestOwners.Current, (l, _) => { lock (resumed) resumed.Add(l); }, () => { }, from: seen[^1].Offset))
        {
            await WaitFor(() => Count(resumed) == 2);
        }

        Assert.Equal(["three", "four"], resumed);
        await File.WriteAllTextAsync(path, "new\n"); // replaced by a shorter file meanwhile
        var rotated = 0;
        var afresh = new List<string>();
        using var third = new LogFollower(_inotify, path, TestOwners.Current, (l, _) => { lock (afresh) afresh.Add(l); }, () => rotated++, from: 100);
        await WaitFor(() => Count(afresh) == 1);
        Assert.Equal(["new"], afresh);
        Assert.Equal(1, rotated);
    }

    private static int Count<T>(List<T> lines)
    {
        lock (lines)
        {
            return lines.Count;
        }
    }

    private static async Task WaitFor(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20); // polled for the condition; generous for a loaded machine
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.True(condition());
    }
}
