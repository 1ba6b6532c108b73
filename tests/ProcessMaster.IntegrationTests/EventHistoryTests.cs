using ProcessMaster.IntegrationTests.Support;

namespace ProcessMaster.IntegrationTests;

/// <summary>No service can flush the event history (issue 41, item 5), and no history file can make boot expensive (item 6).</summary>
public class EventHistoryTests
{
    private const int Datagrams = 100_000;

    [SystemFact]
    public async Task AServiceSending100000NotifyDatagrams_LeavesTheOperatorsAuditAndTheFilesAsTheyWere()
    {
        await using var daemon = new TestDaemon();
        daemon.AddService("noisy", $$"""
            process:
              working_directory: {wd}
              start_command:
                - python3
                - -c
                - |
                  import os, socket, time
                  address = os.environ['NOTIFY_SOCKET']
                  address = '\0' + address[1:] if address.startswith('@') else address
                  s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                  s.sendto(b'READY=1', address)
                  while not os.path.exists('go'):
                      time.sleep(0.05)
                  for i in range({{Datagrams}}):
                      s.sendto(b'STOPPING=1' if i % 2 else b'MAINPID=2', address)
                  open('sent', 'w').close()
                  time.sleep(100000)
            readiness_probe:
              notify: {}
            """);
        daemon.AddShellService("b", "exec sleep 100000");
        await daemon.StartAsync();
        await Eventually.ValueAsync(() => daemon.StatusAsync("noisy"), s => s.Health == "healthy", TimeSpan.FromSeconds(30), "noisy to be ready");
        Assert.Contains("b: stopped", await daemon.PmctlOkAsync("stop", "b"));

        var wd = daemon.WorkDir("noisy");
        File.WriteAllText(Path.Combine(wd, "go"), "");
        await Eventually.TrueAsync(() => File.Exists(Path.Combine(wd, "sent")), TimeSpan.FromSeconds(120), "the datagrams to be sent");
        await daemon.PmctlOkAsync("status"); // the daemon is there, and has read what it was sent

        var events = await daemon.EventsAsync(n: 5000);
        Assert.Contains(events.OfKind("operator_action"), e => (e.App, e.Field("action"), e.Field("by")) == ("b", "stop", "root via pmctl"));
        Assert.InRange(events.Count(e => e.App == "noisy"), 1, 300);
        Assert.Contains(events.OfKind("notify_heard"), e => e.Field("what") == "stopping");
        Assert.Contains(events.OfKind("notify_heard"), e => e.Field("what") == "main_pid_ignored" && e.Field("pid") == "2");
        var state = Path.Combine(daemon.Directory, "state");
        Assert.False(File.Exists(Path.Combine(state, "events.jsonl.1")), "the daemon's history file was rotated");
        Assert.False(File.Exists(Path.Combine(state, "events.services.jsonl.1")), "the services' history file was rotated");
        Assert.Contains("\"kind\":\"operator_action\"", File.ReadAllText(Path.Combine(state, "events.jsonl")));
    }

    [SystemFact]
    public async Task A300MegabyteLineInTheHistory_IsSkippedAtBoot_ForAFewMegabytes()
    {
        await using var daemon = new TestDaemon();
        daemon.AddShellService("a", "exec sleep 100000");
        await daemon.StartAsync();
        var baseline = PeakResidentKib(daemon);
        await daemon.KillAsync();

        var history = Path.Combine(daemon.Directory, "state", "events.jsonl");
        await using (var file = new FileStream(history, FileMode.Append))
        {
            var junk = new byte[1024 * 1024];
            Array.Fill(junk, (byte)'x');
            for (var i = 0; i < 300; i++)
            {
                await file.WriteAsync(junk); // 300 MB without a newline, as a crash or a disk error can leave
            }
        }

        await daemon.StartAsync();
        var peak = PeakResidentKib(daemon);
        Assert.True(peak < baseline + 64 * 1024, $"boot peaked at {peak / 1024} MB with the long line, {baseline / 1024} MB without");
        var events = await daemon.EventsAsync(n: 1000);
        Assert.Equal("1", Assert.Single(events.OfKind("history_skipped")).Field("lines"));
        Assert.Equal(2, events.OfKind("daemon_ready").Count()); // the history before the line is there
    }

    /// <summary>The daemon's peak resident memory so far (VmHWM).</summary>
    private static long PeakResidentKib(TestDaemon daemon)
    {
        var line = File.ReadLines($"/proc/{daemon.Pid}/status").Single(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
    }
}
