using System.Runtime.InteropServices;

namespace ProcessMaster.Core.Interop;

/// <summary>
/// One thread waiting in epoll for every descriptor the daemon watches: service output pipes, exec
/// status pipes, inotify (cgroup.events), and wake-ups. Handlers run on that thread and must be quick;
/// this keeps the thread count flat however many services run, with no polling.
/// </summary>
public sealed unsafe class EventLoop : IDisposable
{
    private const int MaxEvents = 64;
    private const ulong WakeToken = 0;

    private readonly int _epoll;
    private readonly int _wakeFd;
    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, Action<uint>> _handlers = [];
    private readonly Queue<Action> _posted = new();
    private readonly Thread _thread;
    private ulong _nextToken = 1;
    private volatile bool _stopping;

    public EventLoop()
    {
        _epoll = Linux.EpollCreate(Linux.EPOLL_CLOEXEC);
        _wakeFd = Linux.EventFd(0, Linux.EFD_CLOEXEC | Linux.EFD_NONBLOCK);
        if (_epoll < 0 || _wakeFd < 0)
        {
            throw new IOException($"cannot create the event loop: {Linux.LastErrorText()}");
        }

        var ev = new Linux.EpollEvent { Events = Linux.EPOLLIN, Data = WakeToken };
        Linux.EpollCtl(_epoll, Linux.EPOLL_CTL_ADD, _wakeFd, &ev);
        _thread = new Thread(Run) { IsBackground = true, Name = "event-loop" };
        _thread.Start();
    }

    /// <summary>True when called from the loop's own thread.</summary>
    public bool IsLoopThread => Environment.CurrentManagedThreadId == _thread.ManagedThreadId;

    /// <summary>Watches <paramref name="fd"/>; <paramref name="handler"/> gets the epoll event bits on the loop thread.</summary>
    public Registration Register(int fd, uint events, Action<uint> handler) => Register(fd, events, (bits, _) => handler(bits));

    /// <summary>
    /// Like <see cref="Register(int, uint, Action{uint})"/>, handing the handler its own registration so it
    /// can stop watching (it may run before this method returns).
    /// </summary>
    public Registration Register(int fd, uint events, Action<uint, Registration> handler)
    {
        ulong token;
        Registration registration;
        lock (_lock)
        {
            token = _nextToken++;
            registration = new Registration(this, fd, token);
            _handlers[token] = bits => handler(bits, registration);
        }

        var ev = new Linux.EpollEvent { Events = events, Data = token };
        if (Linux.EpollCtl(_epoll, Linux.EPOLL_CTL_ADD, fd, &ev) < 0)
        {
            var error = Linux.LastErrorText();
            lock (_lock)
            {
                _handlers.Remove(token);
            }

            throw new IOException($"epoll cannot watch fd {fd}: {error}");
        }

        return registration;
    }

    /// <summary>Runs <paramref name="action"/> on the loop thread soon.</summary>
    public void Post(Action action)
    {
        lock (_lock)
        {
            _posted.Enqueue(action);
        }

        ulong one = 1;
        Libc.Write(_wakeFd, (byte*)&one, sizeof(ulong));
    }

    private void Unregister(int fd, ulong token)
    {
        lock (_lock)
        {
            _handlers.Remove(token);
        }

        Linux.EpollCtl(_epoll, Linux.EPOLL_CTL_DEL, fd, null);
    }

    private void Run()
    {
        var events = stackalloc Linux.EpollEvent[MaxEvents];
        while (!_stopping)
        {
            var n = Linux.EpollWait(_epoll, events, MaxEvents, -1);
            if (n < 0)
            {
                if (Marshal.GetLastPInvokeError() == Libc.EINTR)
                {
                    continue;
                }

                throw new IOException($"epoll_wait failed: {Linux.LastErrorText()}");
            }

            for (var i = 0; i < n; i++)
            {
                if (events[i].Data == WakeToken)
                {
                    ulong value;
                    Libc.Read(_wakeFd, (byte*)&value, sizeof(ulong));
                    RunPosted();
                    continue;
                }

                Action<uint>? handler;
                lock (_lock)
                {
                    _handlers.TryGetValue(events[i].Data, out handler);
                }

                Invoke(() => handler?.Invoke(events[i].Events));
            }
        }
    }

    private void RunPosted()
    {
        while (true)
        {
            Action action;
            lock (_lock)
            {
                if (!_posted.TryDequeue(out action!))
                {
                    return;
                }
            }

            Invoke(action);
        }
    }

    private static void Invoke(Action action)
    {
        try
        {
            action();
        }
        catch (Exception e)
        {
            // A failing handler must not take down the loop that every service depends on.
            Console.Error.WriteLine($"processmaster: event handler failed: {e}");
        }
    }

    public void Dispose()
    {
        _stopping = true;
        Post(() => { });
        _thread.Join(TimeSpan.FromSeconds(5));
        Libc.Close(_wakeFd);
        Libc.Close(_epoll);
    }

    /// <summary>A watched descriptor; disposing stops watching it (the descriptor itself stays open).</summary>
    public sealed class Registration(EventLoop loop, int fd, ulong token) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                loop.Unregister(fd, token);
            }
        }
    }
}
