using ProcessMaster.Core.Interop;

namespace ProcessMaster.Core.Processes;

/// <summary>
/// Watches an adopted process on kernels without pidfds (before 5.3): looks at <c>/proc/PID/stat</c>
/// every <see cref="Interval"/>; it has ended once the pid is gone or names a process started at
/// another time (the pid was reused).
/// </summary>
public sealed class PolledProcess : IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    private readonly Lock _lock = new();
    private readonly int _pid;
    private readonly long _startTicks;
    private readonly Action _ended;
    private readonly Timer _timer;
    private bool _done;

    private PolledProcess(int pid, long startTicks, Action ended)
    {
        _pid = pid;
        _startTicks = startTicks;
        _ended = ended;
        _timer = new Timer(_ => Look(), null, Interval, Interval);
    }

    /// <summary>Calls <paramref name="exited"/> on <paramref name="loop"/> once <paramref name="pid"/> has ended (at once if it has).</summary>
    public static IDisposable Watch(EventLoop loop, int pid, Action<ExitStatus> exited)
    {
        if (ProcessInfo.Read(pid) is not { } sample)
        {
            exited(ExitStatus.Unknown);
            return new LateDisposable(); // nothing left to watch
        }

        return new PolledProcess(pid, sample.StartTicks, () => loop.Post(() => exited(ExitStatus.Unknown)));
    }

    private void Look()
    {
        lock (_lock)
        {
            if (_done || ProcessInfo.Read(_pid) is { } now && now.StartTicks == _startTicks)
            {
                return;
            }

            _done = true;
        }

        _timer.Dispose();
        _ended();
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _done = true;
        }

        _timer.Dispose();
    }
}
