using System.Runtime.InteropServices;
using ProcessMaster.Core.Interop;

namespace ProcessMaster.Core.Cgroups;

/// <summary>
/// Tells when a cgroup's <c>populated</c> flag changes, from inotify on its <c>cgroup.events</c> file
/// (the kernel signals a modification on every change), delivered on the event loop. No polling.
/// </summary>
public sealed unsafe class CgroupEventsWatcher : IDisposable
{
    private readonly int _fd;
    private readonly EventLoop.Registration _registration;
    private readonly Lock _lock = new();
    private readonly Dictionary<int, (string Group, List<Action<bool>> Callbacks)> _watches = [];

    public CgroupEventsWatcher(EventLoop loop)
    {
        _fd = Linux.InotifyInit(Linux.IN_NONBLOCK | Linux.IN_CLOEXEC);
        if (_fd < 0)
        {
            throw new IOException($"inotify_init1 failed: {Linux.LastErrorText()}");
        }

        _registration = loop.Register(_fd, Linux.EPOLLIN, _ => Drain());
    }

    /// <summary>Calls <paramref name="onChange"/> with the populated flag each time the group's cgroup.events changes.</summary>
    public IDisposable Watch(string group, Action<bool> onChange)
    {
        var wd = Linux.InotifyAddWatch(_fd, Path.Combine(group, "cgroup.events"), Linux.IN_MODIFY);
        if (wd < 0)
        {
            throw new CgroupException($"cannot watch {group}/cgroup.events: {Linux.LastErrorText()}");
        }

        lock (_lock)
        {
            if (!_watches.TryGetValue(wd, out var entry))
            {
                entry = (group, []);
                _watches[wd] = entry;
            }

            entry.Callbacks.Add(onChange);
        }

        return new Subscription(this, wd, onChange);
    }

    private void Unwatch(int wd, Action<bool> callback)
    {
        lock (_lock)
        {
            if (_watches.TryGetValue(wd, out var entry) && entry.Callbacks.Remove(callback) && entry.Callbacks.Count == 0)
            {
                _watches.Remove(wd);
                Linux.InotifyRemoveWatch(_fd, wd);
            }
        }
    }

    private void Drain()
    {
        var buffer = stackalloc byte[4096];
        while (true)
        {
            var n = (int)Libc.Read(_fd, buffer, 4096);
            if (n <= 0)
            {
                if (n < 0 && Marshal.GetLastPInvokeError() == Libc.EINTR)
                {
                    continue;
                }

                return;
            }

            var fired = new HashSet<int>();
            for (var offset = 0; offset + 16 <= n;)
            {
                var wd = *(int*)(buffer + offset);
                var mask = *(uint*)(buffer + offset + 4);
                var nameLength = *(uint*)(buffer + offset + 12);
                offset += 16 + (int)nameLength;
                if ((mask & Linux.IN_IGNORED) != 0)
                {
                    lock (_lock)
                    {
                        _watches.Remove(wd); // the group was removed
                    }
                }
                else
                {
                    fired.Add(wd);
                }
            }

            foreach (var wd in fired)
            {
                string group;
                Action<bool>[] callbacks;
                lock (_lock)
                {
                    if (!_watches.TryGetValue(wd, out var entry))
                    {
                        continue;
                    }

                    group = entry.Group;
                    callbacks = [.. entry.Callbacks];
                }

                var populated = CgroupFs.IsPopulated(group);
                foreach (var callback in callbacks)
                {
                    callback(populated);
                }
            }
        }
    }

    public void Dispose()
    {
        _registration.Dispose();
        Libc.Close(_fd);
    }

    private sealed class Subscription(CgroupEventsWatcher owner, int wd, Action<bool> callback) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Unwatch(wd, callback);
            }
        }
    }
}
