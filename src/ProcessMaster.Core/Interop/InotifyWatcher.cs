using System.Runtime.InteropServices;
using System.Text;
using ProcessMaster.Core.Faults;

namespace ProcessMaster.Core.Interop;

/// <summary>
/// One inotify instance on an event loop, shared by everyone who watches files through it: callbacks get
/// the event mask and the name (for directory watches). Watches on the same path share a descriptor. When
/// the kernel's queue overflowed, every callback is called with <see cref="IN_Q_OVERFLOW"/> to look again.
/// </summary>
public sealed unsafe class InotifyWatcher : IDisposable
{
    public const uint IN_MODIFY = 0x2;
    public const uint IN_CLOSE_WRITE = 0x8;
    public const uint IN_MOVED_FROM = 0x40;
    public const uint IN_MOVED_TO = 0x80;
    public const uint IN_CREATE = 0x100;
    public const uint IN_DELETE = 0x200;
    public const uint IN_Q_OVERFLOW = 0x4000;
    public const uint IN_IGNORED = 0x8000;

    private readonly int _fd;
    private readonly EventLoop _loop;
    private readonly EventLoop.Registration _registration;
    private readonly Lock _lock = new();
    private readonly Dictionary<int, List<Action<uint, string>>> _watches = [];

    public InotifyWatcher(EventLoop loop)
    {
        _loop = loop;
        _fd = Linux.InotifyInit(Linux.IN_NONBLOCK | Linux.IN_CLOEXEC);
        if (_fd < 0)
        {
            throw new IOException($"inotify_init1 failed: {Linux.LastErrorText()}");
        }

        _registration = loop.Register(_fd, Linux.EPOLLIN, _ => Drain());
    }

    /// <summary>Calls <paramref name="callback"/> (mask, name) for events on <paramref name="path"/> until disposed.</summary>
    public IDisposable Watch(string path, uint mask, Action<uint, string> callback)
    {
        // inotify_add_watch replaces the mask of an existing watch, so every watch asks for the union we use.
        var wd = Linux.InotifyAddWatch(_fd, path, mask | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE);
        if (wd < 0)
        {
            throw new IOException($"cannot watch {path}: {Linux.LastErrorText()}");
        }

        lock (_lock)
        {
            if (!_watches.TryGetValue(wd, out var callbacks))
            {
                callbacks = [];
                _watches[wd] = callbacks;
            }

            callbacks.Add(callback);
        }

        return new Subscription(this, wd, callback);
    }

    private void Unwatch(int wd, Action<uint, string> callback)
    {
        lock (_lock)
        {
            if (_watches.TryGetValue(wd, out var callbacks) && callbacks.Remove(callback) && callbacks.Count == 0)
            {
                _watches.Remove(wd);
                Linux.InotifyRemoveWatch(_fd, wd);
            }
        }
    }

    private void Drain()
    {
        var buffer = stackalloc byte[16 * 1024];
        while (true)
        {
            var n = (int)Libc.Read(_fd, buffer, 16 * 1024);
            if (n <= 0)
            {
                if (n < 0 && Marshal.GetLastPInvokeError() == Libc.EINTR)
                {
                    continue;
                }

                return;
            }

            for (var offset = 0; offset + 16 <= n;)
            {
                var wd = *(int*)(buffer + offset);
                var mask = *(uint*)(buffer + offset + 4);
                var length = (int)*(uint*)(buffer + offset + 12);
                var name = length > 0 ? Encoding.UTF8.GetString(buffer + offset + 16, length).TrimEnd('\0') : "";
                offset += 16 + length;
                Action<uint, string>[] callbacks;
                lock (_lock)
                {
                    if ((mask & IN_Q_OVERFLOW) != 0)
                    {
                        callbacks = [.. _watches.Values.SelectMany(l => l)]; // events were lost: everyone looks again
                    }
                    else if (!_watches.TryGetValue(wd, out var list))
                    {
                        continue;
                    }
                    else
                    {
                        callbacks = [.. list];
                    }

                    if ((mask & IN_IGNORED) != 0)
                    {
                        _watches.Remove(wd); // the watched path is gone
                    }
                }

                foreach (var callback in callbacks)
                {
                    try
                    {
                        Failpoints.Hit("inotify-callback");
                        callback(mask, name);
                    }
                    catch (Exception e)
                    {
                        // One watcher's failure must not cost the others the rest of this buffer (a lost
                        // cgroup.events change would leave a service's end unnoticed).
                        _loop.ReportFailure($"inotify callback for {name}", e);
                    }
                }
            }
        }
    }

    public void Dispose()
    {
        _registration.Dispose();
        Libc.Close(_fd);
    }

    private sealed class Subscription(InotifyWatcher owner, int wd, Action<uint, string> callback) : IDisposable
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
