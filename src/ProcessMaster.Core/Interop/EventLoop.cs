using System.Runtime.InteropServices;
using ProcessMaster.Core.Faults;

namespace ProcessMaster.Core.Interop;

/// <summary>
/// One thread waiting in epoll for the descriptors of one kind of work. The daemon runs two: the
/// supervision loop (exec status pipes, inotify on cgroup.events, the reaper's sweeps) and the log loop
/// (service output pipes and log followers), so file I/O, however slow the disk, never delays noticing
/// that a service ended. Handlers run on the loop's thread and must be quick; this keeps the thread count
/// flat however many services run, with no polling. A handler that throws is reported and the loop goes on.
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
    private readonly Action<string> _report;
    private ulong _nextToken = 1;
    private volatile bool _stopping;

    /// <param name="name">The thread's name.</param>
    /// <param name="report">Told about a handler that failed (the loop itself carries on).</param>
    public EventLoop(string name = "event-loop", Action<string>? report = null)
    {
        _report = report ?? (message => Console.Error.WriteLine($"processmaster: {message}"));
        _epoll = Linux.EpollCreate(Linux.EPOLL_CLOEXEC);
        _wakeFd = Linux.EventFd(0, Linux.EFD_CLOEXEC | Linux.EFD_NONBLOCK);
        if (_epoll < 0 || _wakeFd < 0)
        {
            throw new IOException($"cannot create the event loop: {Linux.LastErrorText()}");
        }

        var ev = new Linux.EpollEvent { Events = Linux.EPOLLIN, Data = WakeToken };
        Linux.EpollCtl(_epoll, Linux.EPOLL_CTL_ADD, _wakeFd, &ev);
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

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
                if (Marshal.GetLastPInvokeError() != Libc.EINTR)
                {
                    // Never seen; if it happens, say so and keep trying rather than end the loop every service depends on.
                    ReportFailure("epoll_wait", new IOException(Linux.LastErrorText()));
                    Thread.Sleep(100);
                }

                continue;
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

                var bits = events[i].Events;
                Invoke(() =>
                {
                    Failpoints.Hit(_thread.Name!); // a handler that throws: level-triggered, it is simply called again
                    handler?.Invoke(bits);
                });
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

    private void Invoke(Action action)
    {
        try
        {
            action();
        }
        catch (Exception e)
        {
            // A failing handler must not take down the loop that every service depends on.
            ReportFailure("handler", e);
        }
    }

    /// <summary>Reports a failure on this loop's thread without letting the report itself end the loop.</summary>
    public void ReportFailure(string what, Exception e) => Background.Report($"{_thread.Name} {what}", e, _report);

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
