using ProcessMaster.IntegrationTests.Support;

namespace ProcessMaster.IntegrationTests;

/// <summary>
/// Every background component is made to throw once (failpoints in the daemon's environment): the
/// compressor, both event loops, an inotify callback, a supervisor's message (which is handled again), a cron tick (handled again), the control
/// socket's accept loop, and a state save. The daemon reports each, carries on, and keeps supervising.
/// </summary>
public class FaultToleranceTests
{
    private static readonly string[] Points =
        ["log-compressor", "event-loop", "log-loop", "inotify-callback", "supervisor", "cron", "rpc-accept", "state-save"];

    [SystemFact]
    public async Task AComponentThatThrows_IsReported_AndTheDaemonCarriesOn()
    {
        await using var daemon = new TestDaemon();
        daemon.Environment["PROCESSMASTER_FAILPOINTS"] = string.Join(',', Points);
        daemon.AddShellService("chatty", "while :; do seq 1 500; sleep 0.05; done", """
            logs:
              rotation_size: 20k
              rotation_backups: 5
            """);
        daemon.AddShellService("crashloop", "exit 1", """
            restart_policy:
              policy: always
              restart_backoff_ms: 500
              tolerance: {max_restarts: 500, duration: 1h}
            """);
        daemon.AddService("tick", """
            process:
              working_directory: {wd}
              start_command: ["/bin/sh", "-c", "date +%s >> runs"]
              schedule: "* * * * * *"
            """);
        daemon.AddShellService("steady", "exec sleep 100000");
        await daemon.StartAsync();

        // The first message a supervisor handled failed (some service's boot start): start them all now.
        await Eventually.TrueAsync(() => daemon.Output.Contains("injected fault at supervisor"), TimeSpan.FromSeconds(30), "the supervisor fault");
        foreach (var service in new[] { "chatty", "crashloop", "steady" })
        {
            await daemon.PmctlAsync("start", service);
        }

        // Each injected fault was reported (as an event, or in the daemon log for the socket), not a crash.
        await Eventually.TrueAsync(() => Points.Where(p => p != "state-save").All(p => daemon.Output.Contains($"injected fault at {p}")),
            TimeSpan.FromSeconds(30), "every fault to be reported");
        var events = await daemon.PmctlOkAsync("events", "-n", "2000");
        Assert.Contains("injected fault at log-compressor (carrying on)", events);

        // Supervision goes on: restarts, cron runs after the failed tick, compressed rotations after the failed one.
        var restarts = (await daemon.StatusAsync("crashloop")).Restarts;
        await Eventually.ValueAsync(() => daemon.StatusAsync("crashloop"), s => s.Restarts >= restarts + 2, TimeSpan.FromSeconds(30), "more restarts");
        var runs = Path.Combine(daemon.WorkDir("tick"), "runs");
        await Eventually.TrueAsync(() => File.Exists(runs) && File.ReadAllLines(runs).Length >= 3, TimeSpan.FromSeconds(30), "cron runs after the failed tick");
        var logs = Path.Combine(daemon.WorkDir("chatty"), "logs");
        await Eventually.TrueAsync(() => Directory.EnumerateFiles(logs, "stdout.log.*.gz").Any(), TimeSpan.FromSeconds(30), "a compressed rotation after the failed one");
        Assert.Equal("RUNNING", (await daemon.StatusAsync("steady")).State);

        // The first state save fails: the operator's stop is done, and the reply says it was not saved.
        var stop = await daemon.PmctlAsync("stop", "steady");
        Assert.Equal(1, stop.ExitCode);
        Assert.Contains("stopped, but the stop could not be saved in the state file", stop.Stdout + stop.Stderr);
        Assert.Contains("after a daemon restart the service will start again", stop.Stdout + stop.Stderr);
        Assert.Equal("STOPPED", (await daemon.StatusAsync("steady")).State);
        Assert.Empty(daemon.Cgroups.Pids("steady"));
        await daemon.PmctlOkAsync("start", "steady");
        await daemon.PmctlOkAsync("stop", "steady"); // saved this time
        Assert.False(daemon.HasExited);
    }

    [SystemFact]
    public async Task OnAFullStateDirectory_FlagAndReexecSayWhatHappened_AndWhetherItTookEffect()
    {
        await using var daemon = new TestDaemon();
        daemon.AddShellService("a", "exec sleep 100000");
        var state = Directory.CreateDirectory(Path.Combine(daemon.Directory, "state")).FullName;
        Assert.Equal(0, (await Run.ProgramAsync("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", state])).ExitCode);
        try
        {
            await daemon.StartAsync();
            var pid = (await daemon.StatusAsync("a")).MainPid;
            var fill = Path.Combine(state, "fill");
            await Run.ShellAsync($"head -c 8M /dev/zero > {fill}"); // until the disk is full

            var flag = await daemon.PmctlAsync("flag", "a", "maintenance");
            Assert.Equal(1, flag.ExitCode);
            Assert.Contains("a: flagged maintenance, but it could not be saved (", flag.Stdout + flag.Stderr);
            Assert.Contains("No space left on device", flag.Stdout + flag.Stderr);
            Assert.DoesNotContain("internal error", flag.Stdout + flag.Stderr);
            Assert.Contains("maintenance", await daemon.PmctlOkAsync("status", "a")); // in force

            var reexec = await daemon.PmctlAsync("daemon-reexec");
            Assert.Equal(1, reexec.ExitCode);
            Assert.Contains("not re-executing: the supervision state cannot be saved (", reexec.Stdout + reexec.Stderr);
            Assert.DoesNotContain("internal error", reexec.Stdout + reexec.Stderr);
            Assert.Equal(pid, (await daemon.StatusAsync("a")).MainPid);

            File.Delete(fill);
            Assert.Contains("generation 2 answers", await daemon.PmctlOkAsync("daemon-reexec"));
            Assert.Equal(pid, (await daemon.StatusAsync("a")).MainPid);
        }
        finally
        {
            if (!daemon.HasExited)
            {
                await daemon.TerminateAsync(); // before the state directory goes: its last writes must not fail
            }

            await Run.ProgramAsync("umount", ["-l", state]);
        }
    }
}
