using System.Runtime.InteropServices;

namespace ProcessMaster.Core.Interop;

/// <summary>
/// Reaps every child of the daemon. The daemon is a child subreaper, so orphaned grandchildren of
/// services are re-parented to it too; each SIGCHLD triggers a <c>waitpid(-1, WNOHANG)</c> sweep on the
/// event loop, and exits of processes someone waits for are handed to them. Nothing else in the daemon
/// may wait for children (System.Diagnostics.Process is never used), so no exit status is stolen.
/// </summary>
public sealed unsafe partial class ChildReaper : IDisposable
{
    private readonly EventLoop _loop;
    private readonly Dictionary<int, Action<ExitStatus>> _waiters = [];
    private readonly PosixSignalRegistration _registration;
    private int _sweepQueued;

    public ChildReaper(EventLoop loop)
    {
        _loop = loop;
        if (Linux.Prctl(Linux.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
        {
            throw new IOException($"cannot become a child subreaper: {Linux.LastErrorText()}");
        }

        _registration = PosixSignalRegistration.Create(PosixSignal.SIGCHLD, _ => QueueSweep());
    }

    /// <summary>
    /// Spawns on the loop thread and registers <paramref name="onExit"/> before any sweep can run, so an
    /// exit is never missed however fast the child dies.
    /// </summary>
    public Task<T> SpawnAsync<T>(Func<T> spawn, Func<T, int> pidOf, Action<T, ExitStatus> onExit)
    {
        var result = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _loop.Post(() =>
        {
            try
            {
                var child = spawn();
                _waiters[pidOf(child)] = status => onExit(child, status);
                result.SetResult(child);
            }
            catch (Exception e)
            {
                result.SetException(e);
            }

            // The child may already have exited before it was registered.
            Sweep();
        });
        return result.Task;
    }

    /// <summary>Queues a sweep (also useful after a cgroup emptied, in case a SIGCHLD was coalesced).</summary>
    public void QueueSweep()
    {
        if (Interlocked.Exchange(ref _sweepQueued, 1) == 0)
        {
            _loop.Post(() =>
            {
                Volatile.Write(ref _sweepQueued, 0);
                Sweep();
            });
        }
    }

    private void Sweep()
    {
        while (true)
        {
            int status;
            var pid = Linux.WaitPid(-1, &status, Linux.WNOHANG);
            if (pid <= 0)
            {
                if (pid < 0 && Marshal.GetLastPInvokeError() == Libc.EINTR)
                {
                    continue;
                }

                return;
            }

            // An orphan nobody waits for (re-parented to the subreaper) is simply reaped.
            if (_waiters.Remove(pid, out var waiter))
            {
                try
                {
                    waiter(ExitStatus.FromWaitStatus(status));
                }
                catch (Exception e)
                {
                    Console.Error.WriteLine($"processmaster: exit handler for pid {pid} failed: {e}");
                }
            }
        }
    }

    public void Dispose() => _registration.Dispose();
}
