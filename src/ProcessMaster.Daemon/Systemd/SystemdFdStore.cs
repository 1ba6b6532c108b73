using System.Globalization;
using Microsoft.Win32.SafeHandles;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Processes.Holder;

namespace ProcessMaster.Daemon.Systemd;

/// <summary>
/// systemd's file descriptor store as the second keeper of the output pipes (the unit sets
/// <c>FileDescriptorStoreMax=</c>): each pipe is pushed with <c>FDSTORE=1</c> under its key, removed with
/// <c>FDSTOREREMOVE=1</c>, and after a crash of the daemon systemd hands them to the next one as
/// <c>LISTEN_FDS</c> (sd_listen_fds(3)). systemd also drops a pipe by itself once its service closed it.
/// </summary>
internal sealed class SystemdFdStore : IPipeStore
{
    /// <summary>SD_LISTEN_FDS_START: the first descriptor systemd passes.</summary>
    private const int FirstPassed = 3;

    private readonly SystemdNotifier _notifier;
    private readonly Action<string> _report;
    private bool _refused;

    private SystemdFdStore(SystemdNotifier notifier, IReadOnlyList<HeldPipe> recovered, Action<string> report)
    {
        _notifier = notifier;
        Recovered = recovered;
        _report = report;
    }

    public string Name => "systemd's file descriptor store";

    public IReadOnlyList<HeldPipe> Recovered { get; }

    /// <summary>
    /// The store of the unit this daemon runs in (null outside systemd), with what systemd passed for it.
    /// Takes the <c>LISTEN_*</c> variables away, so no service or later image sees them.
    /// </summary>
    public static SystemdFdStore? Take(SystemdNotifier? notifier, Action<string> report)
    {
        var pid = Environment.GetEnvironmentVariable("LISTEN_PID");
        var count = Environment.GetEnvironmentVariable("LISTEN_FDS");
        var names = Environment.GetEnvironmentVariable("LISTEN_FDNAMES");
        foreach (var variable in (string[])["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"])
        {
            Environment.SetEnvironmentVariable(variable, null);
        }

        if (notifier is null)
        {
            return null;
        }

        var passed = pid == Environment.ProcessId.ToString(CultureInfo.InvariantCulture) &&
                     int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;
        return new SystemdFdStore(notifier, Passed(passed, names?.Split(':') ?? [], notifier), report);
    }

    /// <summary>The pipes among the <paramref name="count"/> descriptors systemd passed; anything else is closed and let go.</summary>
    private static List<HeldPipe> Passed(int count, string[] names, SystemdNotifier notifier)
    {
        var pipes = new List<HeldPipe>();
        for (var i = 0; i < count; i++)
        {
            var fd = FirstPassed + i;
            Linux.Fcntl(fd, Linux.F_SETFD, Linux.FD_CLOEXEC);
            var name = i < names.Length ? names[i] : "";
            if (KeyOf(name) is { } key && PosixFile.StatFd(fd) is { } st && (st.Mode & Libc.S_IFMT) == Libc.S_IFIFO)
            {
                Linux.Fcntl(fd, Linux.F_SETFL, Libc.O_NONBLOCK);
                pipes.Add(new HeldPipe(key, new SafeFileHandle(fd, ownsHandle: true)));
            }
            else
            {
                Libc.Close(fd);
                notifier.Notify($"FDSTOREREMOVE=1\nFDNAME={name}");
            }
        }

        return pipes;
    }

    public void Keep(HeldPipeKey key, SafeFileHandle pipe)
    {
        if (!_notifier.Notify($"FDSTORE=1\nFDNAME={NameOf(key)}", (int)pipe.DangerousGetHandle()) && !_refused)
        {
            // Said once: outside a unit that allows a store, every spawn would say it again.
            _refused = true;
            _report($"cannot hand output pipes to {Name}; the pipe holder alone keeps them");
        }
    }

    public void Remove(HeldPipeKey key) => _notifier.Notify($"FDSTOREREMOVE=1\nFDNAME={NameOf(key)}");

    /// <summary>The key as a descriptor name: no blanks (service names never hold a '/').</summary>
    internal static string NameOf(HeldPipeKey key) => key.Text.Replace(' ', '/');

    internal static HeldPipeKey? KeyOf(string name) => HeldPipeKey.Parse(name.Replace('/', ' '));
}
