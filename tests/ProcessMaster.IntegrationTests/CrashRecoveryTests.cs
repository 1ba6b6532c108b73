using ProcessMaster.IntegrationTests.Support;

namespace ProcessMaster.IntegrationTests;

/// <summary>The daemon dies (SIGKILL) or shuts down; nothing of the old generation survives, nothing else is touched.</summary>
public class CrashRecoveryTests
{
    [SystemFact]
    public async Task SigkillThenRestart_KillsTheOldGeneration_AndStartsServicesFreshWithLogs()
    {
        await using var daemon = new TestDaemon();
        // While the daemon is dead nobody reads the service's pipes: a write would end the shell by SIGPIPE
        // (docs/operations.md). Ignoring it keeps the old generation alive for the checks below.
        daemon.AddShellService("ticker", "trap '' PIPE; sleep 1000 & while :; do echo tick; sleep 0.1; done");
        await daemon.StartAsync();
        var status = await Eventually.ValueAsync(() => daemon.StatusAsync("ticker"), s => s.Pids.Count >= 2, TimeSpan.FromSeconds(10), "ticker's processes");
        // The long-lived ones: the main shell and its background sleep (the 0.1 s sleeps come and go).
        var old = status.Pids.Where(pid => pid == status.MainPid || ProcessTable.CommandLine(pid) == "sleep 1000").ToList();
        Assert.Equal(2, old.Count);

        // Something of the operator's own next to our groups must survive.
        var foreign = Path.Combine(daemon.Cgroups.Master, "not-processmaster");
        Directory.CreateDirectory(foreign);

        await daemon.KillAsync();
        Assert.All(old, pid => Assert.True(ProcessTable.Exists(pid), "services keep running while the daemon is dead"));

        await daemon.StartAsync();
        Assert.All(old, pid => Assert.False(ProcessTable.Exists(pid), $"old pid {pid} survived the restart"));
        var fresh = await Eventually.ValueAsync(() => daemon.StatusAsync("ticker"), s => s.State == "RUNNING" && s.Pids.Count >= 2,
            TimeSpan.FromSeconds(10), "ticker to run again");
        Assert.Empty(fresh.Pids.Intersect(old));
        Assert.True(Directory.Exists(foreign));
        Assert.Contains("left by an earlier daemon", await daemon.PmctlOkAsync("events", "ticker"));

        var log = Path.Combine(daemon.WorkDir("ticker"), "logs", "stdout.log");
        var length = new FileInfo(log).Length;
        await Eventually.TrueAsync(() => new FileInfo(log).Length > length, TimeSpan.FromSeconds(5), "new output to be captured");
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
