using System.Globalization;
using System.Net.Sockets;
using System.Text;
using ProcessMaster.Core.Interop;

namespace ProcessMaster.Daemon.Systemd;

/// <summary>
/// sd_notify(3) without libsystemd, for the unit's <c>Type=notify</c>: datagrams to <c>$NOTIFY_SOCKET</c>
/// saying when the daemon is ready or stopping, and, when the unit sets <c>WatchdogSec=</c>, a
/// <c>WATCHDOG=1</c> ping every half interval sent from the supervision loop, so a daemon whose loop
/// hangs stops pinging and systemd restarts it (and the next one adopts the services). Best effort:
/// outside systemd nothing is sent.
/// </summary>
internal sealed class SystemdNotifier : IDisposable
{
    /// <summary>How long a push to the fd store may wait for room in systemd's queue.</summary>
    private static readonly TimeSpan FdStoreWait = TimeSpan.FromSeconds(1);

    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private readonly Socket _withFds = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private readonly UnixDomainSocketEndPoint _target;
    private ITimer? _watchdog;

    private SystemdNotifier(string path)
    {
        // "@name" is an abstract socket: its address starts with a NUL byte.
        _target = new UnixDomainSocketEndPoint(path.StartsWith('@') ? "\0" + path[1..] : path);
        // A receiver that does not read fills its queue (ten datagrams by default): a blocking send would then
        // hold the supervision loop, which sends the watchdog pings, and with it every service. A state is dropped instead.
        _socket.Blocking = false;
        // A pipe for the fd store is worth waiting for (a boot pushes two per service faster than systemd drains
        // ten), but not for ever: after a second it is not kept there (the pipe holder still keeps it).
        _withFds.SendTimeout = (int)FdStoreWait.TotalMilliseconds;
    }

    /// <summary>The notifier for the unit this daemon runs in, or null when not started by systemd with a notify socket.</summary>
    public static SystemdNotifier? FromEnvironment() =>
        Environment.GetEnvironmentVariable("NOTIFY_SOCKET") is { Length: > 0 } path ? new SystemdNotifier(path) : null;

    /// <summary>Sends <paramref name="state"/> (e.g. <c>READY=1</c>) without waiting; a failure (or a full queue) is not the daemon's problem.</summary>
    public void Notify(string state)
    {
        try
        {
            _socket.SendTo(Encoding.UTF8.GetBytes(state), _target);
        }
        catch (SocketException)
        {
        }
    }

    /// <summary>Sends <paramref name="state"/> with <paramref name="fd"/> attached (SCM_RIGHTS), as <c>FDSTORE=1</c> needs; false when it was not sent.</summary>
    public bool Notify(string state, int fd)
    {
        lock (_withFds)
        {
            // Descriptors go through sendmsg on a connected socket of their own; connected again after a failure
            // (systemd may have been re-executed).
            for (var attempt = 0; attempt < 2; attempt++)
            {
                try
                {
                    if (!_withFds.Connected || attempt > 0)
                    {
                        _withFds.Connect(_target);
                    }

                    if (Shared.FdSocket.Send((int)_withFds.Handle, state, fd))
                    {
                        return true;
                    }
                }
                catch (Exception e) when (e is SocketException or InvalidOperationException)
                {
                }
            }

            return false;
        }
    }

    /// <summary>Pings the watchdog from <paramref name="loop"/> every half of <c>$WATCHDOG_USEC</c>, when the unit asks for it.</summary>
    public void StartWatchdog(EventLoop loop, TimeProvider time)
    {
        if (!long.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), NumberStyles.None, CultureInfo.InvariantCulture, out var usec) || usec <= 0 ||
            (Environment.GetEnvironmentVariable("WATCHDOG_PID") is { Length: > 0 } pid && pid != Environment.ProcessId.ToString(CultureInfo.InvariantCulture)))
        {
            return;
        }

        var half = TimeSpan.FromMicroseconds(usec / 2);
        _watchdog = time.CreateTimer(_ => loop.Post(() => Notify("WATCHDOG=1")), null, TimeSpan.Zero, half);
    }

    public void Dispose()
    {
        _watchdog?.Dispose();
        _socket.Dispose();
        _withFds.Dispose();
    }
}
