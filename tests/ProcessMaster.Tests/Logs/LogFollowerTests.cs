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
        using var follower = new LogFollower(_inotify, path, TestOwners.Current, l => { lock (lines) lines.Add(l); }, () => Interlocked.Increment(ref rotations));

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
        using var follower = new LogFollower(_inotify, path, TestOwners.Current, l => { lock (lines) lines.Add(l); }, () => { });
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

    private static int Count(List<string> lines)
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
