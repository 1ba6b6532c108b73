using System.Diagnostics;
using ProcessMaster.IntegrationTests.Support;

namespace ProcessMaster.IntegrationTests;

/// <summary>Cron jobs: ticks, exit codes, no overlap, max_time_per_run, not_before/not_after, run once.</summary>
public class CronTests
{
    [SystemFact]
    public async Task SixFieldJob_RunsEveryTwoSeconds_AndRecordsExitCodes()
    {
        await using var daemon = new TestDaemon();
        daemon.AddService("tick", """
            process:
              working_directory: {wd}
              start_command: ["/bin/sh", "-c", "n=$(cat n 2>/dev/null || echo 0); echo $((n+1)) > n; date +%s >> runs; exit $((n+1))"]
              schedule: "*/2 * * * * *"
            """);
        await daemon.StartAsync();
        var runs = Path.Combine(daemon.WorkDir("tick"), "runs");
        await Eventually.TrueAsync(() => File.Exists(runs) && File.ReadAllLines(runs).Length >= 3, TimeSpan.FromSeconds(15), "three runs");
        var times = File.ReadAllLines(runs).Select(long.Parse).ToList();
        Assert.All(times.Zip(times.Skip(1)), pair => Assert.Equal(2, pair.Second - pair.First));
        Assert.All(times, t => Assert.Equal(0, t % 2));

        var status = await Eventually.ValueAsync(() => daemon.StatusAsync("tick"), s => s.State == "STOPPED" && s.LastExitCode >= 2,
            TimeSpan.FromSeconds(5), "a finished run");
        Assert.Equal("cron", status.Kind);
        Assert.NotNull(status.NextRun);
        Assert.NotNull(status.LastRun);
        Assert.True(status.NextRun > DateTimeOffset.Now);
        Assert.Contains("run finished (exit code", await daemon.PmctlOkAsync("events", "tick"));
    }

    [SystemFact]
    public async Task TickWhileTheLastRunIsStillGoing_IsSkippedAndRecorded()
    {
        await using var daemon = new TestDaemon();
        daemon.AddService("slow", """
            process:
              working_directory: {wd}
              start_command: ["/bin/sh", "-c", "echo run >> runs; exec sleep 600"]
              schedule: "* * * * * *"
            """);
        await daemon.StartAsync();
        var first = await daemon.WaitForStateAsync("slow", "RUNNING", TimeSpan.FromSeconds(5));
        await Eventually.TrueAsync(() => daemon.PmctlOkAsync("events", "slow").GetAwaiter().GetResult().Contains("skipped: the previous run is still RUNNING"),
            TimeSpan.FromSeconds(5), "a skipped tick");
        var now = await daemon.StatusAsync("slow");
        Assert.Equal(first.MainPid, now.MainPid);
        Assert.Single(now.Pids);
        Assert.Single(File.ReadAllLines(Path.Combine(daemon.WorkDir("slow"), "runs")));
    }

    [SystemFact]
    public async Task MaxTimePerRun_StopsTheRunWithinASecondOfTheLimit_AndMarksItOvertime()
    {
        await using var daemon = new TestDaemon();
        daemon.AddService("long", """
            process:
              working_directory: {wd}
              start_command: ["/bin/sleep", "600"]
              schedule: "0 0 1 1 *"
              max_time_per_run: 3s
            """);
        await daemon.StartAsync();
        var watch = Stopwatch.StartNew();
        Assert.Matches(@"^long: started \(pid \d+\)\n$", await daemon.PmctlOkAsync("start", "long")); // start runs a job once now
        var stopped = await daemon.WaitForStateAsync("long", "STOPPED", TimeSpan.FromSeconds(10));
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(2.9), TimeSpan.FromSeconds(4));
        Assert.True(stopped.LastRunOvertime);
        Assert.Equal("SIGTERM", stopped.LastExitSignal);
        Assert.Contains("run exceeded max_time_per_run=3s", await daemon.PmctlOkAsync("events", "long"));
        Assert.Contains("overtime", await daemon.PmctlOkAsync("status"));
    }

    [SystemFact]
    public async Task NotAfterInThePast_NeverRuns_AndSaysWhy()
    {
        await using var daemon = new TestDaemon();
        daemon.AddService("expired", """
            process:
              working_directory: {wd}
              start_command: ["/bin/sh", "-c", "echo ran > ran"]
              schedule: "* * * * * *"
              not_after: "2020-01-01"
            """);
        daemon.AddService("future", """
            process:
              working_directory: {wd}
              start_command: ["/bin/sh", "-c", "echo ran > ran"]
              schedule: "* * * * * *"
              not_before: "2099-01-01 00:00:00"
            """);
        await daemon.StartAsync();
        Assert.Null((await daemon.StatusAsync("expired")).NextRun);
        Assert.Equal(2099, (await daemon.StatusAsync("future")).NextRun!.Value.Year);
        Assert.Contains("no further runs: not_after 2020-01-01 23:59:59 has passed", await daemon.PmctlOkAsync("events", "expired"));
    }

    [SystemFact]
    public async Task DisabledJob_DoesNotRunOnItsSchedule()
    {
        await using var daemon = new TestDaemon();
        daemon.AddService("off", "process:\n  working_directory: {wd}\n  start_command: [\"/bin/sh\", \"-c\", \"echo ran > ran\"]\n  schedule: \"* * * * * *\"\nglobal:\n  enabled: false\n");
        await daemon.StartAsync();
        await Eventually.ValueAsync(() => daemon.PmctlOkAsync("events", "off"), e => e.Contains("skipped: disabled"),
            TimeSpan.FromSeconds(10), "a tick to be skipped");
        Assert.False(File.Exists(Path.Combine(daemon.WorkDir("off"), "ran")));
    }
}
