using ProcessMaster.IntegrationTests.Support;

namespace ProcessMaster.IntegrationTests;

/// <summary>
/// The kill of kernels older than 5.14, exercised on this one: the daemon is told (PM_DISABLE_FEATURES)
/// that cgroup.kill, and in turn cgroup.freeze, the v1 freezer, cgroup.events and pidfds are missing, and
/// still stops a service that forks in a tight loop and ignores SIGTERM, leaving nothing.
/// </summary>
public class KillFallbackTests
{
    // Every process ignores SIGTERM (an ignored signal stays ignored across exec) and forks without pause;
    // max_pids keeps the loop at its ceiling, where each fork that fails is tried again at once.
    private const string ForkLoop = "trap '' TERM; while :; do sleep 1000 & done";

    public static TheoryData<string, string> Fallbacks => new()
    {
        { "cgroup.kill", "by freezing it (cgroup.freeze) and sending SIGKILL to each process" },
        { "cgroup.kill,cgroup.freeze", "by freezing it (the v1 freezer) and sending SIGKILL to each process" },
        { "cgroup.kill,cgroup.freeze,freezer,cgroup.events,pidfd", "by sending SIGKILL to each process until it is empty" },
    };

    [SystemTheory]
    [MemberData(nameof(Fallbacks))]
    public async Task AForkLoopThatIgnoresSigterm_IsStoppedWithNothingLeft(string disabled, string method)
    {
        await using var daemon = new TestDaemon();
        daemon.Environment["PM_DISABLE_FEATURES"] = disabled;
        daemon.AddShellService("forker", ForkLoop, "  stop_grace_period_ms: 300\nresources:\n  max_pids: 150");
        await daemon.StartAsync();
        Assert.Contains($"stopping a service kills its cgroup {method}", daemon.Output);
        Assert.Contains($"turned off by PM_DISABLE_FEATURES: {disabled.Replace(",", ", ")}", daemon.Output);

        for (var round = 0; round < 2; round++)
        {
            if (round > 0)
            {
                await daemon.PmctlOkAsync("start", "forker");
            }

            await Eventually.ValueAsync(() => daemon.StatusAsync("forker"), s => s.State == "RUNNING" && s.Pids.Count >= 100,
                TimeSpan.FromSeconds(20), "the fork loop at its pids ceiling");
            var stop = await daemon.PmctlAsync("stop", "forker");
            Assert.True(stop.ExitCode == 0, stop.Stdout + stop.Stderr);
            Assert.Empty(daemon.Cgroups.Pids("forker"));
            var status = await daemon.StatusAsync("forker");
            Assert.Equal("STOPPED", status.State);
            Assert.Empty(status.Pids);
        }
    }
}
