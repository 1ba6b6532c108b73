using ProcessMaster.IntegrationTests.Support;

namespace ProcessMaster.IntegrationTests;

/// <summary>Crash handling: backoff, the tolerance window, FAILED, policy never, disabled services, operator stops.</summary>
public class RestartPolicyTests
{
    [SystemFact]
    public async Task CrashLoop_GoesThroughBackoff_AndFailsExactlyAtTheToleranceBound_ThenStartClearsIt()
    {
        await using var daemon = new TestDaemon();
        var dir = daemon.WorkDir("crasher");
        File.WriteAllText(Path.Combine(dir, "crash"), "");
        daemon.AddService("crasher", """
            process:
              working_directory: {wd}
              start_command: ["/bin/sh", "-c", "echo run >> runs; if [ -e crash ]; then sleep 0.2; exit 3; fi; exec sleep 1000"]
            restart_policy:
              policy: always
              restart_backoff_ms: 300
              tolerance:
                max_restarts: 2
                duration: 1m
            """);
        await daemon.StartAsync();
        var failed = await daemon.WaitForStateAsync("crasher", "FAILED", TimeSpan.FromSeconds(20));
        Assert.Equal(2, failed.Restarts);
        Assert.Equal(3, failed.LastExitCode);
        Assert.Equal(3, File.ReadAllLines(Path.Combine(dir, "runs")).Length);
        var transitions = (await daemon.EventsAsync("crasher")).Transitions().ToList();
        Assert.Equal(2, transitions.Count(t => t == ("RUNNING", "BACKOFF", "crash")));
        Assert.Equal(2, transitions.Count(t => t == ("BACKOFF", "STARTING", "policy_restart")));
        Assert.Single(transitions, t => t == ("RUNNING", "FAILED", "crash")); // that FAILED is final: ServiceSupervisorTests

        File.Delete(Path.Combine(dir, "crash"));
        Assert.Contains("crasher: started (pid", await daemon.PmctlOkAsync("start", "crasher"));
        var running = await daemon.StatusAsync("crasher");
        Assert.Equal("RUNNING", running.State);
        Assert.Equal(0, running.Restarts);
    }

    [SystemFact]
    public async Task BackoffIsVisible_AndStopDuringBackoffCancelsTheRestart()
    {
        await using var daemon = new TestDaemon();
        daemon.AddService("flaky", """
            process:
              working_directory: {wd}
              start_command: ["/bin/sh", "-c", "echo run >> runs; exit 1"]
            restart_policy:
              policy: always
              restart_backoff_ms: 2000
            """);
        await daemon.StartAsync();
        await daemon.WaitForStateAsync("flaky", "BACKOFF");
        Assert.Equal("flaky: stopped (pending restart cancelled)\n", await daemon.PmctlOkAsync("stop", "flaky"));
        var status = await daemon.StatusAsync("flaky");
        Assert.Equal("STOPPED", status.State);
        Assert.Single(File.ReadAllLines(Path.Combine(daemon.WorkDir("flaky"), "runs")));
    }

    [SystemTheory]
    [InlineData(0, "EXITED")]
    [InlineData(4, "FAILED")]
    public async Task PolicyNever_CleanExitIsExited_ErrorIsFailed_NeitherRestarts(int code, string state)
    {
        await using var daemon = new TestDaemon();
        daemon.AddService("once", $$"""
            process:
              working_directory: {wd}
              start_command: ["/bin/sh", "-c", "echo run >> runs; exit {{code}}"]
            restart_policy:
              policy: never
            """);
        await daemon.StartAsync();
        var status = await daemon.WaitForStateAsync("once", state);
        Assert.Equal(code, status.LastExitCode);
        Assert.Single(File.ReadAllLines(Path.Combine(daemon.WorkDir("once"), "runs")));
    }

    [SystemFact]
    public async Task OnFailure_RestartsAnUnexpectedEnd_EndsAListedCodeInExited_AndSaysWhyAQuickLoopFailed()
    {
        await using var daemon = new TestDaemon();
        // Exits 1 on its first run and 2 (listed) on its second, each after min_uptime.
        daemon.AddService("worker", """
            process:
              working_directory: {wd}
              start_command: ["/bin/sh", "-c", "echo run >> runs; sleep 0.4; [ $(wc -l < runs) -ge 2 ] && exit 2; exit 1"]
            restart_policy:
              policy: on-failure
              success_exit_codes: [0, 2]
              min_uptime: 200ms
              restart_backoff_ms: 100
            """);
        daemon.AddService("quick", """
            process:
              working_directory: {wd}
              start_command: ["/bin/sh", "-c", "exit 1"]
            restart_policy:
              policy: on-failure
              min_uptime: 5s
              restart_backoff_ms: 100
              tolerance: {max_restarts: 2, duration: 1m}
            """);
        await daemon.StartAsync();

        var exited = await daemon.WaitForStateAsync("worker", "EXITED", TimeSpan.FromSeconds(20));
        Assert.Equal(2, exited.LastExitCode);
        Assert.Equal(1, exited.Restarts);
        Assert.Equal(2, File.ReadAllLines(Path.Combine(daemon.WorkDir("worker"), "runs")).Length);

        var failed = await daemon.WaitForStateAsync("quick", "FAILED", TimeSpan.FromSeconds(20));
        Assert.Equal(2, failed.Restarts);
        Assert.Equal("exited 3 times within 5s of start (exit code 1)", failed.LastError); // what status shows
        Assert.Contains("exited 3 times within 5s of start", await daemon.PmctlOkAsync("status", "quick"));
    }

    [SystemFact]
    public async Task DaemonizingService_IsRunning_NotARestartLoop()
    {
        await using var daemon = new TestDaemon();
        daemon.AddShellService("daemonizer", "setsid sh -c 'exec sleep 1000' < /dev/null > /dev/null 2>&1 & exit 0");
        await daemon.StartAsync();
        await Eventually.ValueAsync(() => daemon.EventsAsync("daemonizer"), e => e.OfKind("main_ended_group_runs").Any(m => m.Field("exit.code") == "0"),
            TimeSpan.FromSeconds(10), "the main process's exit to be decided on");
        var status = await daemon.StatusAsync("daemonizer");
        Assert.Equal("RUNNING", status.State);
        Assert.Equal(0, status.Restarts);
        Assert.Single(status.Pids);
    }

    [SystemFact]
    public async Task DisabledService_IsNotStarted_StartIsRefused_ForceRunsItOnceWithoutRestart()
    {
        await using var daemon = new TestDaemon();
        daemon.AddService("off", """
            process:
              working_directory: {wd}
              start_command: ["/bin/sh", "-c", "echo run >> runs; sleep 1; exit 1"]
            global:
              enabled: false
            """);
        await daemon.StartAsync();
        Assert.Equal("STOPPED", (await daemon.StatusAsync("off")).State);
        var refused = await daemon.PmctlAsync("start", "off");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("service off is disabled; use --force", refused.Stderr);

        Assert.Contains("off: started", await daemon.PmctlOkAsync("start", "off", "--force"));
        await daemon.WaitForStateAsync("off", "STOPPED");
        Assert.Contains((await daemon.EventsAsync("off")).OfKind("state_changed"),
            e => (e.Field("from"), e.Field("to"), e.Field("cause.kind"), e.Field("exit.code")) == ("RUNNING", "STOPPED", "crash", "1") && e.Field("reason")!.EndsWith("not restarted because the service is disabled", StringComparison.Ordinal));
        Assert.Single(File.ReadAllLines(Path.Combine(daemon.WorkDir("off"), "runs")));
        Assert.False((await daemon.StatusAsync("off")).Enabled);
    }

    [SystemFact]
    public async Task OperatorStop_HoldsAcrossADaemonRestart_UntilStarted()
    {
        await using var daemon = new TestDaemon();
        daemon.AddShellService("kept", "exec sleep 1000");
        daemon.AddShellService("other", "exec sleep 1000");
        await daemon.StartAsync();
        await daemon.PmctlOkAsync("stop", "kept");
        Assert.Equal(0, await daemon.TerminateAsync());

        await daemon.StartAsync();
        Assert.Equal("RUNNING", (await daemon.StatusAsync("other")).State);
        var kept = await daemon.StatusAsync("kept");
        Assert.Equal("STOPPED", kept.State);
        Assert.True(kept.StoppedByOperator);

        await daemon.PmctlOkAsync("start", "kept");
        Assert.Equal(0, await daemon.TerminateAsync());
        await daemon.StartAsync();
        Assert.Equal("RUNNING", (await daemon.StatusAsync("kept")).State);
    }

    [SystemFact]
    public async Task TwoHundredCrashCycles_LeaveNoZombie()
    {
        await using var daemon = new TestDaemon();
        // Each run also orphans a grandchild, which the daemon (a subreaper) must reap too.
        daemon.AddService("loop", """
            process:
              working_directory: {wd}
              start_command: ["/bin/sh", "-c", "sleep 0.01 & exit 1"]
            restart_policy:
              policy: always
              restart_backoff_ms: 0
              tolerance:
                max_restarts: 500
                duration: 1h
            """);
        await daemon.StartAsync();
        await Eventually.ValueAsync(() => daemon.StatusAsync("loop"), s => s.Restarts >= 200, TimeSpan.FromSeconds(90), "200 restarts");
        await daemon.PmctlOkAsync("stop", "loop");
        await Eventually.TrueAsync(() => daemon.ZombieChildren().Count == 0, TimeSpan.FromSeconds(5), "no zombie children of the daemon");
    }
}
