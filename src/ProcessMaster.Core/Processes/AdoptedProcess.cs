using ProcessMaster.Core.Interop;

namespace ProcessMaster.Core.Processes;

/// <summary>
/// Watches a process the daemon adopted from an earlier one: it is not the daemon's child, so its end
/// is seen through a pidfd (readable once it exited) and its exit status cannot be known.
/// </summary>
public sealed class AdoptedProcess : IDisposable
{
    private readonly Lock _lock = new();
    private readonly int _pidfd;
    private EventLoop.Registration? _registration;
    private bool _disposed;

    private AdoptedProcess(int pidfd) => _pidfd = pidfd;

    /// <summary>Calls <paramref name="exited"/> once when <paramref name="pid"/> has ended (at once if it already has).</summary>
    public static IDisposable Watch(EventLoop loop, int pid, Action<ExitStatus> exited)
    {
        var pidfd = Linux.PidfdOpen(pid);
        if (pidfd < 0)
        {
            exited(ExitStatus.Unknown); // ESRCH: it is gone already
            return new AdoptedProcess(-1) { _disposed = true };
        }

        var watch = new AdoptedProcess(pidfd);
        var registration = loop.Register(pidfd, Linux.EPOLLIN, (_, own) =>
        {
            own.Dispose();
            if (watch.Close())
            {
                exited(ExitStatus.Unknown);
            }
        });
        lock (watch._lock)
        {
            watch._registration = registration;
        }

        return watch;
    }

    /// <summary>Stops watching; true the first time.</summary>
    private bool Close()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return false;
            }

            _disposed = true;
            _registration?.Dispose();
            Libc.Close(_pidfd);
            return true;
        }
    }

    public void Dispose() => Close();
}
