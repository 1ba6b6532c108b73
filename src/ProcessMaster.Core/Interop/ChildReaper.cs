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
    private const int MaxUnclaimed = 1024;
    private readonly Dictionary<int, Action<ExitStatus>> _waiters = [];

    /// <summary>
    /// Exits of children nobody waited for, kept while the daemon boots: after a re-exec the services are
    /// still its children, and one may end before its supervisor claims it.
    /// </summary>
    private readonly Dictionary<int, ExitStatus> _unclaimed = [];
    private readonly Queue<int> _unclaimedOrder = new();
    private bool _keepUnclaimed = true;
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
            if (!_waiters.Remove(pid, out var waiter))
            {
                Keep(pid, ExitStatus.FromWaitStatus(status));
            }
            else
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

    /// <summary>
    /// On the loop thread: takes over waiting for <paramref name="pid"/>, a child this process did not
    /// spawn in this image (a service that outlived a re-exec). False when it is not a child of ours.
    /// </summary>
    public bool Claim(int pid, Action<ExitStatus> onExit)
    {
        if (_unclaimed.Remove(pid, out var status))
        {
            onExit(status);
            return true;
        }

        if (ProcessInfo.Parent(pid) != Environment.ProcessId)
        {
            return false;
        }

        _waiters[pid] = onExit;
        Sweep(); // it may have ended just now
        return true;
    }

    /// <summary>Boot is over: every child that outlived a re-exec was claimed, exits of others need not be kept.</summary>
    public void StopKeepingUnclaimed() => _loop.Post(() =>
    {
        _keepUnclaimed = false;
        _unclaimed.Clear();
        _unclaimedOrder.Clear();
    });

    private void Keep(int pid, ExitStatus status)
    {
        if (!_keepUnclaimed)
        {
            return;
        }

        if (_unclaimedOrder.Count >= MaxUnclaimed)
        {
            _unclaimed.Remove(_unclaimedOrder.Dequeue());
        }

        _unclaimed[pid] = status;
        _unclaimedOrder.Enqueue(pid);
    }

    public void Dispose() => _registration.Dispose();
}
