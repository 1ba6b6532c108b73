using ProcessMaster.IntegrationTests.Support;

namespace ProcessMaster.IntegrationTests;

/// <summary>kill_mode, exit_type, stop_signal beside stop_command, and pmctl signal, on real processes.</summary>
public class StopModeTests
{
    /// <summary>
    /// A main shell and a child shell, each writing to <c>marks</c> what it was sent (TERM ends it), and
    /// <c>up</c> to <c>ready</c> once its traps are set.
    /// </summary>
    private const string MainAndChild =
        "sh -c 'for s in HUP USR1; do trap \"echo child-$s >> marks\" $s; done; trap \"echo child-TERM >> marks; exit 0\" TERM; echo up >> ready; while :; do sleep 0.1; done' & " +
        "for s in HUP USR1; do trap \"echo main-$s >> marks\" $s; done; trap 'echo main-TERM >> marks; exit 0' TERM; echo up >> ready; while :; do sleep 0.1; done";

    private static async Task<TestDaemon> StartMainAndChildAsync(string extra)
    {
        var daemon = new TestDaemon();
        daemon.AddShellService("svc", MainAndChild, extra);
        await daemon.StartAsync();
        await daemon.WaitForStateAsync("svc", "RUNNING");
        await Eventually.TrueAsync(() => Lines(daemon, "ready").Length == 2, TimeSpan.FromSeconds(10), "both shells to set their traps");
        return daemon;
    }

    private static string[] Lines(TestDaemon daemon, string file)
    {
        var path = Path.Combine(daemon.WorkDir("svc"), file);
        return File.Exists(path) ? File.ReadAllLines(path) : [];
    }

    [SystemTheory]
    [InlineData("control-group")]
    [InlineData("mixed")]
    public async Task KillMode_DecidesWhoGetsTheStopSignal_AndNothingIsLeftEitherWay(string mode)
    {
        await using var daemon = await StartMainAndChildAsync($"  kill_mode: {mode}\n  stop_grace_period_ms: 1500");

        await daemon.PmctlOkAsync("stop", "svc");

        Assert.Empty(daemon.Cgroups.Pids("svc"));
        var events = await daemon.EventsAsync("svc");
        var sent = Assert.Single(events.OfKind("signal_sent"));
        var graceExpired = events.OfKind("stop_progress").Any(e => e.Field("step") == "grace_expired");
        if (mode == "mixed")
        {
            // The main process alone was asked; the child it did not stop was killed at the grace's end.
            Assert.Equal(["main-TERM"], Lines(daemon, "marks"));
            Assert.Equal("1", sent.Field("processes"));
            Assert.NotNull(sent.Field("main_pid"));
            Assert.True(graceExpired);
        }
        else
        {
            Assert.Equal(["child-TERM", "main-TERM"], Lines(daemon, "marks").Order());
            Assert.Null(sent.Field("main_pid"));
            Assert.False(graceExpired);
        }
    }

    [SystemTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task StopSignalBesideStopCommand_FollowsTheCommand_WithoutItTheGraceIsWaited(bool withSignal)
    {
        await using var daemon = new TestDaemon();
        daemon.AddShellService("svc", "trap 'echo TERM >> marks; exit 0' TERM; echo up > ready; while :; do sleep 0.1; done",
            $"  stop_command: \"true\"\n  stop_grace_period_ms: 1500\n{(withSignal ? "  stop_signal: SIGTERM\n" : "")}");
        await daemon.StartAsync();
        await daemon.WaitForStateAsync("svc", "RUNNING");
        await Eventually.TrueAsync(() => Lines(daemon, "ready").Length == 1, TimeSpan.FromSeconds(10), "the trap to be set");

        await daemon.PmctlOkAsync("stop", "svc");

        Assert.Empty(daemon.Cgroups.Pids("svc"));
        var events = await daemon.EventsAsync("svc");
        var steps = events.OfKind("stop_progress").Select(e => e.Field("step")).ToList();
        Assert.Contains("command_succeeded", steps);
        if (withSignal)
        {
            Assert.Equal(["TERM"], Lines(daemon, "marks"));
            Assert.Equal("15", events.OfKind("stop_progress").Single(e => e.Field("step") == "command_succeeded").Field("signal_follows"));
            Assert.DoesNotContain("grace_expired", steps);
        }
        else
        {
            Assert.Empty(Lines(daemon, "marks")); // never signalled: cgroup.kill at the grace's end
            Assert.Contains("grace_expired", steps);
            Assert.Empty(events.OfKind("signal_sent"));
        }
    }

    [SystemFact]
    public async Task ExitTypeMain_TheServiceEndsWithItsMainProcess_AndTheHelperItLeftIsStopped()
    {
        await using var daemon = new TestDaemon();
        daemon.AddShellService("svc", "sleep 1000 & echo $! > helper; exit 3",
            "  exit_type: main\nrestart_policy:\n  policy: never");
        await daemon.StartAsync();

        var status = await daemon.WaitForStateAsync("svc", "FAILED");
        Assert.Equal(3, status.LastExitCode);
        Assert.Empty(daemon.Cgroups.Pids("svc"));
        var helper = int.Parse(File.ReadAllText(Path.Combine(daemon.WorkDir("svc"), "helper")).Trim());
        Assert.False(ProcessTable.Exists(helper), "the helper outlived its service");
        var states = (await daemon.EventsAsync("svc")).OfKind("state_changed").Select(e => e.Field("to")).ToList();
        Assert.Equal(["STARTING", "RUNNING", "STOPPING", "FAILED"], states);
    }

    [SystemFact]
    public async Task PmctlSignal_ReachesEveryProcess_OrTheMainOne_AndIsRefusedWhenNothingRuns()
    {
        await using var daemon = await StartMainAndChildAsync("");

        var hup = await daemon.PmctlAsync("signal", "HUP", "svc");
        Assert.Equal(0, hup.ExitCode);
        Assert.Matches(@"^svc: sent SIGHUP to \d+ process\(es\)\n$", hup.Stdout);
        await Eventually.TrueAsync(() => Lines(daemon, "marks").Order().SequenceEqual(["child-HUP", "main-HUP"]), TimeSpan.FromSeconds(10), "both shells to get SIGHUP");

        var main = (await daemon.StatusAsync("svc")).MainPid;
        var usr1 = await daemon.PmctlAsync("signal", "10", "svc", "--main");
        Assert.Equal(0, usr1.ExitCode);
        Assert.Equal($"svc: sent SIGUSR1 to the main process ({main})\n", usr1.Stdout);
        await Eventually.TrueAsync(() => Lines(daemon, "marks").Contains("main-USR1"), TimeSpan.FromSeconds(10), "the main shell to get SIGUSR1");

        // The child writes what it got before it exits on SIGTERM: once stopped, its marks are complete.
        await daemon.PmctlOkAsync("stop", "svc");
        Assert.DoesNotContain("child-USR1", Lines(daemon, "marks"));

        var refused = await daemon.PmctlAsync("signal", "HUP", "svc");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("svc: not running (STOPPED)", refused.Stderr);

        var unknown = await daemon.PmctlAsync("signal", "SIGFOO", "svc");
        Assert.NotEqual(0, unknown.ExitCode);
        Assert.Contains("unknown signal 'SIGFOO'", unknown.Stderr);

        var actions = (await daemon.EventsAsync("svc")).OfKind("operator_action").Where(e => e.Field("action") == "signal").Select(e => e.Field("options"));
        Assert.Equal(["SIGHUP", "SIGUSR1 --main", "SIGHUP"], actions);
    }
}
