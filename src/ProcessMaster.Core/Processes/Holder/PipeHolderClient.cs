using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Supervision.Ports;
using ProcessMaster.Shared;

namespace ProcessMaster.Core.Processes.Holder;

/// <summary>
/// The daemon's side of the pipe holder (<c>processmaster-exec --hold</c>): a small process, in a cgroup
/// of its own, that keeps a copy of every service output pipe's read end, so services outlive the daemon
/// without SIGPIPE and the next daemon resumes their output where it stopped. At start it takes back what
/// a running holder keeps (<see cref="Recovered"/>), or starts one. A holder that dies is started again at
/// once and given every pipe again; the daemon keeps its own copies, so no service notices. A second keeper
/// (<see cref="IPipeStore"/>, systemd's fd store) gets every pipe too, and gives them back when the holder
/// died with the daemon.
/// </summary>
public sealed class PipeHolderClient
{
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RestartDelay = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    private readonly string _path;
    private readonly Func<int, int> _spawn;
    private readonly EventLoop _loop;
    private readonly Action<string> _report;
    private readonly IPipeStore? _store;
    private readonly Dictionary<HeldPipeKey, SafeFileHandle> _held = [];
    private int _connection = -1;
    private EventLoop.Registration? _watch;
    private long _startedAt;
    private bool _quitting;

    private PipeHolderClient(string path, Func<int, int> spawn, EventLoop loop, Action<string> report, IPipeStore? store)
    {
        _path = path;
        _spawn = spawn;
        _loop = loop;
        _report = report;
        _store = store;
    }

    /// <summary>The pipes an earlier daemon's holder (or, with it gone, the second keeper) kept; null when neither kept any.</summary>
    public IReadOnlyList<HeldPipe>? Recovered { get; private set; }

    /// <summary>Who kept <see cref="Recovered"/>, for messages.</summary>
    public string? RecoveredFrom { get; private set; }

    /// <summary>The holder's pid (0 while none runs).</summary>
    public int HolderPid { get; private set; }

    /// <summary>Connects to the holder at <paramref name="path"/>, or starts one with <paramref name="spawn"/> (given the listening socket, returns the pid).</summary>
    /// <param name="store">The second keeper, when there is one.</param>
    /// <exception cref="IOException">No holder runs and none could be started.</exception>
    public static PipeHolderClient Start(string path, Func<int, int> spawn, EventLoop loop, Action<string> report, IPipeStore? store = null)
    {
        var client = new PipeHolderClient(path, spawn, loop, report, store);
        lock (client._lock)
        {
            var fromHolder = client.Recover();
            client.RecoveredFrom = fromHolder is null ? null : $"an earlier daemon's pipe holder (pid {client.HolderPid})";
            client.Recovered = client.TakeFromStore(fromHolder);
            if (client._connection < 0)
            {
                client.StartHolder();
            }

            client.StoreWhatItLacks();
        }

        return client;
    }

    /// <summary>
    /// Adds what the second keeper kept to what the holder gave back. With the holder alive its copies are
    /// the same pipes and the keeper's are closed; with the holder gone, the keeper's copies are all there is.
    /// </summary>
    private List<HeldPipe>? TakeFromStore(List<HeldPipe>? fromHolder)
    {
        if (_store is null || _store.Recovered.Count == 0)
        {
            return fromHolder;
        }

        var recovered = fromHolder ?? [];
        RecoveredFrom ??= _store.Name;
        foreach (var pipe in _store.Recovered)
        {
            if (_held.TryAdd(pipe.Key, pipe.Pipe))
            {
                recovered.Add(pipe);
            }
            else
            {
                pipe.Pipe.Dispose();
            }
        }

        return recovered;
    }

    /// <summary>Gives the second keeper every pipe it does not have (a daemon started outside systemd before, say).</summary>
    private void StoreWhatItLacks()
    {
        if (_store is null)
        {
            return;
        }

        var stored = _store.Recovered.Select(p => p.Key).ToHashSet();
        foreach (var (key, pipe) in _held)
        {
            if (!stored.Contains(key))
            {
                _store.Keep(key, pipe);
            }
        }
    }

    /// <summary>Has the holder keep <paramref name="pipe"/> as <paramref name="key"/>.</summary>
    public void Hold(HeldPipeKey key, SafeFileHandle pipe)
    {
        lock (_lock)
        {
            if (_held.TryGetValue(key, out var known) && known == pipe)
            {
                return; // given back by the holder: it keeps it already
            }

            _held[key] = pipe;
            Send($"hold {key.Text}", pipe);
            _store?.Keep(key, pipe);
        }
    }

    /// <summary>Lets the holder close <paramref name="key"/>'s pipe: it reached its end, or nobody reads it any more.</summary>
    public void Release(HeldPipeKey key)
    {
        lock (_lock)
        {
            if (_held.Remove(key))
            {
                Send($"drop {key.Text}", null);
                _store?.Remove(key);
            }
        }
    }

    /// <summary>Graceful shutdown: every service stopped, so the holder exits. Returns once it closed its end.</summary>
    public void Quit()
    {
        lock (_lock)
        {
            _quitting = true;
            if (_connection < 0)
            {
                return;
            }

            _watch?.Dispose();
            if (FdSocket.Send(_connection, "quit"))
            {
                FdSocket.Receive(_connection); // end of stream once the holder exited (or the timeout)
            }

            Detach();
            File.Delete(_path);
        }
    }

    /// <summary>Takes back what a running holder keeps; null when none answers.</summary>
    private List<HeldPipe>? Recover()
    {
        var connection = FdSocket.ConnectTo(_path);
        if (connection < 0)
        {
            return null;
        }

        FdSocket.SetTimeouts(connection, ReplyTimeout);
        var pipes = new List<HeldPipe>();
        var answered = FdSocket.Send(connection, "list");
        while (answered)
        {
            var (text, fd) = FdSocket.Receive(connection);
            if (text?.StartsWith("end ", StringComparison.Ordinal) == true && int.TryParse(text[4..], out var holderPid))
            {
                foreach (var pipe in pipes)
                {
                    _held[pipe.Key] = pipe.Pipe;
                }

                Attach(connection, holderPid);
                return pipes;
            }

            if (text is null)
            {
                break;
            }

            if (fd >= 0)
            {
                var pipe = new SafeFileHandle(fd, ownsHandle: true);
                if (text.StartsWith("held ", StringComparison.Ordinal) && HeldPipeKey.Parse(text[5..]) is { } key)
                {
                    pipes.Add(new HeldPipe(key, pipe));
                }
                else
                {
                    pipe.Dispose();
                }
            }
        }

        _report("the running pipe holder did not hand its pipes over; starting a new one (the output pipes it kept are lost)");
        FdSocket.Close(connection);
        foreach (var pipe in pipes)
        {
            pipe.Pipe.Dispose();
        }

        return null;
    }

    /// <summary>Starts a holder on a fresh socket and gives it every pipe the daemon keeps.</summary>
    private void StartHolder()
    {
        _startedAt = Environment.TickCount64;
        File.Delete(_path);
        var listener = FdSocket.ListenAt(_path);
        if (listener < 0)
        {
            throw new IOException($"cannot listen on {_path} for the pipe holder: {Linux.LastErrorText()}");
        }

        int pid;
        try
        {
            Libc.Chmod(_path, 0x180); // root only; the holder also checks its peer is root
            pid = _spawn(listener);
        }
        finally
        {
            FdSocket.Close(listener); // the holder has its own copy
        }

        var connection = FdSocket.ConnectTo(_path);
        if (connection < 0)
        {
            throw new IOException($"the pipe holder (pid {pid}) does not accept connections: {Linux.LastErrorText()}");
        }

        FdSocket.SetTimeouts(connection, ReplyTimeout);
        Attach(connection, pid);
        foreach (var (key, pipe) in _held)
        {
            Send($"hold {key.Text}", pipe);
        }
    }

    /// <param name="pid">The holder's own pid (the peer credentials name whoever created its socket).</param>
    private void Attach(int connection, int pid)
    {
        _connection = connection;
        HolderPid = pid;
        // The holder never speaks unasked: anything readable is its end.
        _watch = _loop.Register(connection, Linux.EPOLLIN | Linux.EPOLLRDHUP | Linux.EPOLLHUP, (_, own) =>
        {
            own.Dispose();
            OnHolderGone(connection);
        });
    }

    private void Detach()
    {
        _watch?.Dispose();
        _watch = null;
        if (_connection >= 0)
        {
            FdSocket.Close(_connection);
        }

        _connection = -1;
        HolderPid = 0;
    }

    private void OnHolderGone(int connection)
    {
        lock (_lock)
        {
            if (_quitting || connection != _connection)
            {
                return;
            }

            _report($"the pipe holder (pid {HolderPid}) ended; starting a new one and handing it {_held.Count} pipe(s)");
            Detach();
        }

        Restart();
    }

    private void Restart()
    {
        lock (_lock)
        {
            if (_quitting || _connection >= 0)
            {
                return;
            }

            // One start per second at most: a holder that cannot run must not spin the daemon.
            var wait = RestartDelay - TimeSpan.FromMilliseconds(Environment.TickCount64 - _startedAt);
            if (wait <= TimeSpan.Zero)
            {
                try
                {
                    StartHolder();
                    return;
                }
                catch (Exception e) when (e is IOException or SpawnException)
                {
                    Detach();
                    _report($"cannot start the pipe holder ({e.Message}); trying again in {RestartDelay.TotalSeconds:0} s");
                    wait = RestartDelay;
                }
            }

            _ = Task.Delay(wait).ContinueWith(_ => _loop.Post(Restart), TaskScheduler.Default);
        }
    }

    /// <summary>Sends one request; a holder that does not take it is noticed by its watch and restarted.</summary>
    private void Send(string text, SafeFileHandle? pipe)
    {
        if (_connection >= 0)
        {
            FdSocket.Send(_connection, text, pipe is null ? -1 : (int)pipe.DangerousGetHandle());
        }
    }
}
