using System.Net.Sockets;
using System.Text;
using ProcessMaster.IntegrationTests.Support;

namespace ProcessMaster.IntegrationTests;

/// <summary>Under systemd (Type=notify, WatchdogSec=): readiness, watchdog pings and stopping go to $NOTIFY_SOCKET, and no service sees it.</summary>
public class SystemdNotifyTests
{
    [SystemFact]
    public async Task TheDaemonTellsSystemdItIsReady_PingsTheWatchdog_AndSaysItStops_WithoutHandingTheSocketToServices()
    {
        await using var daemon = new TestDaemon();
        using var systemd = StandInFor(daemon, watchdogUsec: 400_000);
        daemon.AddService("env", """
            process:
              working_directory: {wd}
              start_command: ["/bin/sh", "-c", "env; exec sleep 1000"]
              inherit_environment: true
            """);
        await daemon.StartAsync();

        var ready = await ReceiveAsync(systemd, m => m.StartsWith("READY=1", StringComparison.Ordinal));
        Assert.Contains("STATUS=generation", ready);
        for (var ping = 0; ping < 3; ping++)
        {
            await ReceiveAsync(systemd, m => m == "WATCHDOG=1");
        }

        await daemon.WaitForStateAsync("env", "RUNNING");
        var log = Path.Combine(daemon.WorkDir("env"), "logs", "stdout.log");
        await Eventually.TrueAsync(() => File.Exists(log) && File.ReadAllText(log).Contains("PATH=", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "the service's environment");
        var environment = File.ReadAllText(log);
        Assert.DoesNotContain("NOTIFY_SOCKET", environment);
        Assert.DoesNotContain("WATCHDOG_USEC", environment);

        Assert.Equal(0, await daemon.TerminateAsync());
        await ReceiveAsync(systemd, m => m.StartsWith("STOPPING=1", StringComparison.Ordinal));
    }

    [SystemFact]
    public async Task ANotifySocketNobodyReads_DoesNotHoldTheDaemon()
    {
        await using var daemon = new TestDaemon();
        using var systemd = StandInFor(daemon, watchdogUsec: 20_000); // a ping every 10 ms: the unread queue is full at once
        daemon.AddShellService("svc", "exec sleep 1000");
        await daemon.StartAsync();
        var first = await daemon.WaitForStateAsync("svc", "RUNNING");

        // A restart needs the supervision loop (the old process reaped, its cgroup seen empty): it is not held.
        await daemon.PmctlOkAsync("restart", "svc");
        Assert.NotEqual(first.MainPid, (await daemon.WaitForStateAsync("svc", "RUNNING")).MainPid);
        Assert.Equal(0, await daemon.TerminateAsync());
    }

    /// <summary>systemd's notify socket for <paramref name="daemon"/>, with <c>WatchdogSec=</c> as <paramref name="watchdogUsec"/>.</summary>
    private static Socket StandInFor(TestDaemon daemon, int watchdogUsec)
    {
        var systemd = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        var path = Path.Combine(daemon.Directory, "notify.sock");
        systemd.Bind(new UnixDomainSocketEndPoint(path));
        daemon.Environment["NOTIFY_SOCKET"] = path;
        daemon.Environment["WATCHDOG_USEC"] = watchdogUsec.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return systemd;
    }

    private static async Task<string> ReceiveAsync(Socket socket, Func<string, bool> wanted)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var buffer = new byte[4096];
        while (true)
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            var message = Encoding.UTF8.GetString(buffer, 0, n);
            if (wanted(message))
            {
                return message;
            }
        }
    }
}
