using ProcessMaster.Core.Cgroups;
using ProcessMaster.IntegrationTests.Support;

namespace ProcessMaster.IntegrationTests;

/// <summary>
/// The daemon dies (SIGKILL): the next one adopts what runs; with the pipe holder dead too, it kills the old
/// generation and touches nothing else. A shutdown leaves nothing.
/// </summary>
public class CrashRecoveryTests
{
    /// <summary>Writes numbered lines, about a thousand a second, and does not survive a SIGPIPE.</summary>
    internal const string Counter = "i=0; while :; do i=$((i+1)); echo $i; case $i in *00) sleep 0.1;; esac; done";

    [SystemFact]
    public async Task Sigkill_NextDaemonAdoptsWhatRuns_SamePidsNoSigpipeNoLineLost_AndRestartsWhatEndedMeanwhile()
    {
        await using var daemon = new TestDaemon();
        daemon.AddShellService("counter", Counter);
        var quitterDir = daemon.WorkDir("quitter");
        daemon.AddShellService("quitter",
            "[ -e exited-once ] && exec sleep 1000; while [ ! -e trigger ]; do sleep 0.05; done; touch exited-once; exit 3",
            "restart_policy:\n  policy: always\n  restart_backoff_ms: 200");
        await daemon.StartAsync();
        var counter = await daemon.WaitForStateAsync("counter", "RUNNING");
        var quitter = await daemon.WaitForStateAsync("quitter", "RUNNING");
        await daemon.WaitForSavedAsync("counter", counter.MainPid!.Value);
        await daemon.WaitForSavedAsync("quitter", quitter.MainPid!.Value);

        await daemon.KillAsync();
        File.WriteAllText(Path.Combine(quitterDir, "trigger"), "");
        await Eventually.TrueAsync(() => !ProcessTable.Exists(quitter.MainPid!.Value), TimeSpan.FromSeconds(10), "quitter to exit while no daemon runs");
        await Task.Delay(TimeSpan.FromSeconds(5)); // the counter writes on meanwhile: into the held pipe, not into SIGPIPE
        Assert.True(ProcessTable.Exists(counter.MainPid!.Value), "the counter survives 5 s without a daemon");

        await daemon.StartAsync();
        var adopted = await daemon.StatusAsync("counter");
        Assert.Equal("RUNNING", adopted.State);
        Assert.Equal(counter.MainPid, adopted.MainPid);
        Assert.Equal(0, adopted.Restarts);
        Assert.True(adopted.UptimeSeconds >= 5, $"uptime continues across the crash (got {adopted.UptimeSeconds} s)");
        var restarted = await Eventually.ValueAsync(() => daemon.StatusAsync("quitter"), s => s.State == "RUNNING" && s.MainPid != quitter.MainPid,
            TimeSpan.FromSeconds(10), "quitter to be restarted by the new daemon");
        Assert.Equal(1, restarted.Restarts);
        var events = await daemon.EventsAsync();
        Assert.Contains(events.OfKind("adopted"), e => e.App == "counter" && e.Field("outcome") == "running" && e.Field("pid") == $"{counter.MainPid}");
        Assert.Contains(events.OfKind("adopted"), e => e.App == "quitter" && e.Field("outcome") == "ended");
        Assert.Empty(events.OfKind("leftovers_found"));

        await AssertCapturedWithoutGapsAsync(daemon, "counter");
    }

    /// <summary>Kernels before 5.3 have no pidfds: an adopted main process is watched in /proc instead.</summary>
    [SystemFact]
    public async Task WithoutPidfds_AnAdoptedMainProcessIsKept_AndItsEndIsStillNoticed()
    {
        await using var daemon = new TestDaemon();
        daemon.Environment["PM_DISABLE_FEATURES"] = "pidfd";
        daemon.AddShellService("sleeper", "exec sleep 1000", "restart_policy:\n  policy: always\n  restart_backoff_ms: 100");
        await daemon.StartAsync();
        Assert.Contains("no pidfd: signals go by pid", daemon.Output);
        var first = await daemon.WaitForStateAsync("sleeper", "RUNNING");
        await daemon.WaitForSavedAsync("sleeper", first.MainPid!.Value);

        await daemon.KillAsync();
        await daemon.StartAsync();
        var adopted = await daemon.StatusAsync("sleeper");
        Assert.Equal("RUNNING", adopted.State);
        Assert.Equal(first.MainPid, adopted.MainPid);

        // Stopping signals by pid; the end of the adopted process is seen by looking at it.
        Assert.Contains("sleeper: stopped", await daemon.PmctlOkAsync("stop", "sleeper"));
        Assert.Empty(daemon.Cgroups.Pids("sleeper"));
        await daemon.PmctlOkAsync("start", "sleeper");
        var second = await daemon.WaitForStateAsync("sleeper", "RUNNING");
        await daemon.WaitForSavedAsync("sleeper", second.MainPid!.Value);
        await daemon.KillAsync();
        await daemon.StartAsync();
        Assert.Equal(second.MainPid, (await daemon.StatusAsync("sleeper")).MainPid);
        ProcessMaster.Core.Interop.Libc.Kill(second.MainPid!.Value, 9);
        var restarted = await Eventually.ValueAsync(() => daemon.StatusAsync("sleeper"), s => s.State == "RUNNING" && s.MainPid != second.MainPid,
            TimeSpan.FromSeconds(10), "the adopted process's end to be noticed and the service restarted");
        Assert.Equal(1, restarted.Restarts);
    }

    [SystemFact]
    public async Task KilledPipeHolder_IsReplacedAtOnce_AndAServiceStillOutlivesTheDaemonAfterwards()
    {
        await using var daemon = new TestDaemon();
        daemon.AddShellService("counter", Counter);
        await daemon.StartAsync();
        var counter = await daemon.WaitForStateAsync("counter", "RUNNING");
        var holder = HolderPid(daemon);

        ProcessMaster.Core.Interop.Libc.Kill(holder, 9);
        var replacement = await Eventually.ValueAsync(() => Task.FromResult(HolderPids(daemon)), pids => pids.Count == 1 && pids[0] != holder,
            TimeSpan.FromSeconds(10), "a new pipe holder");
        Assert.True(ProcessTable.Exists(counter.MainPid!.Value));
        Assert.Contains($"the pipe holder (pid {holder}) ended; starting a new one and handing it 2 pipe(s)", await daemon.PmctlOkAsync("events"));

        // The new holder has the pipes: the daemon can die now and the counter lives on.
        await daemon.WaitForSavedAsync("counter", counter.MainPid!.Value);
        await daemon.KillAsync();
        await Task.Delay(TimeSpan.FromSeconds(2));
        await daemon.StartAsync();
        var adopted = await daemon.StatusAsync("counter");
        Assert.Equal(counter.MainPid, adopted.MainPid);
        Assert.Equal(replacement[0], HolderPid(daemon));
        await AssertCapturedWithoutGapsAsync(daemon, "counter");
    }

    [SystemFact]
    public async Task DaemonAndHolderKilledTogether_KillsTheOldGeneration_AndStartsServicesFreshWithLogs()
    {
        await using var daemon = new TestDaemon();
        // With the holder gone too nobody reads the service's pipes: a write would end the shell by SIGPIPE.
        // Ignoring it keeps the old generation alive for the checks below.
        daemon.AddShellService("ticker", "trap '' PIPE; sleep 1000 & while :; do echo tick; sleep 0.1; done");
        await daemon.StartAsync();
        var status = await Eventually.ValueAsync(() => daemon.StatusAsync("ticker"), s => s.Pids.Count >= 2, TimeSpan.FromSeconds(10), "ticker's processes");
        // The long-lived ones: the main shell and its background sleep (the 0.1 s sleeps come and go).
        var old = status.Pids.Where(pid => pid == status.MainPid || ProcessTable.CommandLine(pid) == "sleep 1000").ToList();
        Assert.Equal(2, old.Count);

        // Something of the operator's own next to our groups must survive.
        var foreign = Path.Combine(daemon.Cgroups.Master, "not-processmaster");
        Directory.CreateDirectory(foreign);

        var holder = HolderPid(daemon);
        await daemon.WaitForSavedAsync("ticker", status.MainPid!.Value);
        await daemon.KillAsync();
        ProcessMaster.Core.Interop.Libc.Kill(holder, 9);
        Assert.All(old, pid => Assert.True(ProcessTable.Exists(pid), "services keep running while the daemon is dead"));

        await daemon.StartAsync();
        Assert.All(old, pid => Assert.False(ProcessTable.Exists(pid), $"old pid {pid} survived the restart"));
        var fresh = await Eventually.ValueAsync(() => daemon.StatusAsync("ticker"), s => s.State == "RUNNING" && s.Pids.Count >= 2,
            TimeSpan.FromSeconds(10), "ticker to run again");
        Assert.Empty(fresh.Pids.Intersect(old));
        Assert.True(Directory.Exists(foreign));
        var events = await daemon.EventsAsync();
        Assert.Single(events.OfKind("pipes_lost"));
        Assert.Contains(events.OfKind("leftovers_found"), e => e.App == "ticker");
        Assert.Single(HolderPids(daemon));

        var log = Path.Combine(daemon.WorkDir("ticker"), "logs", "stdout.log");
        var length = new FileInfo(log).Length;
        await Eventually.TrueAsync(() => new FileInfo(log).Length > length, TimeSpan.FromSeconds(5), "new output to be captured");
    }

    private static List<int> HolderPids(TestDaemon daemon) => CgroupFs.ReadPidsRecursive(daemon.Cgroups.Layout.PipeHolder);

    private static int HolderPid(TestDaemon daemon) => Assert.Single(HolderPids(daemon));

    /// <summary>
    /// Once <paramref name="service"/> (a counter) has written 10 kB more, every complete line of its stdout log
    /// is one more than the line before: none lost, none doubled.
    /// </summary>
    internal static async Task AssertCapturedWithoutGapsAsync(TestDaemon daemon, string service)
    {
        var log = Path.Combine(daemon.WorkDir(service), "logs", "stdout.log");
        var length = new FileInfo(log).Length;
        await Eventually.TrueAsync(() => new FileInfo(log).Length > length + 10_000, TimeSpan.FromSeconds(20), $"{service}'s output to be captured again");
        var text = File.ReadAllText(log);
        var lines = text[..(text.LastIndexOf('\n') + 1)].Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("1", lines[0]);
        for (var i = 1; i < lines.Length; i++)
        {
            if (lines[i] != (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture))
            {
                Assert.Fail($"line {i + 1} of {log} is '{lines[i]}' after '{lines[i - 1]}'");
            }
        }
    }

    [SystemFact]
    public async Task StrayServiceGroupOfARemovedService_IsKilledAndRemovedAtBoot()
    {
        await using var daemon = new TestDaemon();
        daemon.AddShellService("gone", "exec sleep 1000");
        daemon.AddShellService("kept", "exec sleep 1000");
        await daemon.StartAsync();
        var stray = (await daemon.StatusAsync("gone")).Pids;
        await daemon.KillAsync();
        File.Delete(Path.Combine(daemon.ConfigDirectory, "gone.yaml"));

        await daemon.StartAsync();
        Assert.All(stray, pid => Assert.False(ProcessTable.Exists(pid)));
        Assert.False(Directory.Exists(daemon.Cgroups.ServiceGroup("gone")));
        Assert.Equal("RUNNING", (await daemon.StatusAsync("kept")).State);
    }

    [SystemFact]
    public async Task Sigterm_StopsEveryServiceGracefully_EmptiesEveryCgroup_AndExitsZero()
    {
        await using var daemon = new TestDaemon();
        daemon.AddShellService("a", "sleep 1000 & exec sleep 1001");
        daemon.AddShellService("b", "trap '' TERM; sleep 1000 & while :; do sleep 1; done", "  stop_grace_period_ms: 1000");
        daemon.AddService("c", "process:\n  working_directory: {wd}\n  start_command: [\"/bin/sh\", \"-c\", \"trap 'echo bye; exit 0' TERM; while :; do sleep 0.1; done\"]\n");
        await daemon.StartAsync();
        await daemon.WaitForStateAsync("c", "RUNNING");
        var pids = daemon.Cgroups.AllPids();
        Assert.True(pids.Count >= 5);

        Assert.Equal(0, await daemon.TerminateAsync());
        Assert.All(pids, pid => Assert.False(ProcessTable.Exists(pid), $"pid {pid} survived shutdown"));
        Assert.False(Directory.Exists(daemon.Cgroups.Master), "the master cgroup is removed");
        Assert.All(daemon.Cgroups.Layout.DistinctV1Masters, g => Assert.False(Directory.Exists(g), $"{g} is removed"));
        Assert.False(File.Exists(daemon.SocketPath));
        Assert.Contains("bye", File.ReadAllText(Path.Combine(daemon.WorkDir("c"), "logs", "stdout.log")));
        Assert.Contains("done; every service cgroup is empty", daemon.Output);
    }
}
