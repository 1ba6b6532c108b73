using System.Diagnostics;
using ProcessMaster.Core.Processes;
using ProcessMaster.IntegrationTests.Support;

namespace ProcessMaster.IntegrationTests;

/// <summary>The sd_notify socket cannot be taken by a local user, and a bind that failed is tried again (issue 41, item 4).</summary>
public class NotifySocketTests
{
    /// <summary>Sends READY=1 every 200 ms (a bind that comes late still hears it), then sleeps.</summary>
    private const string Ready = "process:\n  working_directory: {wd}\n  start_command:\n    - python3\n    - -c\n    - |\n" +
        "      import os, socket, time\n" +
        "      address = os.environ['NOTIFY_SOCKET']\n" +
        "      address = '\\0' + address[1:] if address.startswith('@') else address\n" +
        "      s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n" +
        "      while True:\n" +
        "          try:\n" +
        "              s.sendto(b'READY=1\\nSTATUS=up', address)\n" +
        "          except OSError:\n" +
        "              pass\n" +
        "          time.sleep(0.2)\n" +
        "readiness_probe:\n  notify: {}\n";

    /// <summary>
    /// As nobody: binds the abstract name earlier builds used and tries the daemon's path, then writes what it
    /// could bind and every datagram it hears to <c>squatter.log</c> in <paramref name="directory"/>.
    /// </summary>
    private static Process Squat(string directory, string path)
    {
        var abstractName = "processmaster-notify-" + Path.GetFileNameWithoutExtension(path);
        var script = $$"""
            import socket, sys
            log = open(sys.argv[1], 'a', buffering=1)
            taken = []
            for name in ['\0{{abstractName}}', '{{path}}']:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                try:
                    s.bind(name)
                    taken.append(s)
                    log.write('bound ' + name.replace('\0', '@') + '\n')
                except OSError as e:
                    log.write('refused ' + name.replace('\0', '@') + ': ' + type(e).__name__ + '\n')
            log.write('listening\n')
            while True:
                for s in taken:
                    s.settimeout(0.1)
                    try:
                        log.write('heard ' + repr(s.recv(4096)) + '\n')
                    except socket.timeout:
                        pass
            """;
        var info = new ProcessStartInfo("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c", script, Path.Combine(directory, "squatter.log")]);
        return Process.Start(info)!;
    }

    [SystemFact]
    public async Task ALocalUserCannotTakeTheNotifySocket_BeforeTheDaemonStarts_OrWhileItIsDown_AndHearsNothing()
    {
        await using var daemon = new TestDaemon();
        daemon.AddService("ready", Ready);
        var path = NotifySocket.PathFor(daemon.SocketPath);
        var log = Path.Combine(daemon.WorkDir("squatter"), "squatter.log");
        Assert.Equal(0, (await Run.ProgramAsync("chown", ["nobody", Path.GetDirectoryName(log)!])).ExitCode);

        using var before = Squat(Path.GetDirectoryName(log)!, path);
        try
        {
            await Eventually.TrueAsync(() => File.Exists(log) && File.ReadAllText(log).Contains("listening"), TimeSpan.FromSeconds(20), "the squatter to be in place");
            await daemon.StartAsync();
            var ready = await Eventually.ValueAsync(() => daemon.StatusAsync("ready"), s => s.Health == "healthy", TimeSpan.FromSeconds(30), "the notify service to be ready");
            Assert.Equal("up", ready.NotifyStatus);
            Assert.Contains($"NOTIFY_SOCKET={path}", File.ReadAllText($"/proc/{ready.MainPid}/environ").Split('\0'));

            // While no daemon runs, the name stays root's.
            await daemon.WaitForSavedAsync("ready", ready.MainPid!.Value);
            await daemon.KillAsync();
            using var during = Squat(Path.GetDirectoryName(log)!, path);
            try
            {
                await Eventually.TrueAsync(() => File.ReadAllText(log).Split("listening").Length == 3, TimeSpan.FromSeconds(20), "the second squatter to be in place");
                await daemon.StartAsync();
                Assert.Equal((ready.MainPid, "healthy"), ((await daemon.StatusAsync("ready")).MainPid, (await daemon.StatusAsync("ready")).Health));
            }
            finally
            {
                during.Kill();
            }
        }
        finally
        {
            before.Kill();
        }

        var said = File.ReadAllText(log);
        Assert.Equal(2, said.Split($"refused {path}: ").Length - 1); // no such directory yet, or not nobody's to write
        Assert.DoesNotContain($"bound {path}", said);
        Assert.DoesNotContain("heard", said);
    }

    [SystemFact]
    public async Task ANotifySocketThatCannotBeBound_IsTriedAgain_AndNotifyServicesBecomeReadyOnceItIs()
    {
        await using var daemon = new TestDaemon();
        daemon.AddService("ready", Ready);
        var path = NotifySocket.PathFor(daemon.SocketPath);
        Directory.CreateDirectory(path); // in the way: what is there cannot be removed as a stale socket
        try
        {
            await daemon.StartAsync();
            await Eventually.ValueAsync(() => daemon.PmctlOkAsync("events"), e => e.Contains($"cannot bind the notify socket {path}", StringComparison.Ordinal),
                TimeSpan.FromSeconds(20), "the event saying the bind failed");
            Assert.Equal("starting", (await daemon.StatusAsync("ready")).Health);
        }
        finally
        {
            Directory.Delete(path);
        }

        await Eventually.ValueAsync(() => daemon.StatusAsync("ready"), s => s.Health == "healthy", TimeSpan.FromSeconds(30), "the notify service to be ready");
        Assert.Contains($"the notify socket {path} is bound now", await daemon.PmctlOkAsync("events"));
    }
}
