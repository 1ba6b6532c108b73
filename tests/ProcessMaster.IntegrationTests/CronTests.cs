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
        Assert.Contains((await daemon.EventsAsync("tick")).OfKind("state_changed"),
            e => (e.Field("from"), e.Field("to"), e.Field("cause.kind")) == ("RUNNING", "STOPPED", "crash") && e.Field("exit.code") == $"{status.LastExitCode}");
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
        await Eventually.ValueAsync(() => daemon.EventsAsync("slow"),
            events => events.OfKind("tick_skipped").Any(e => e.Field("why") == "still_running" && e.Field("state") == "RUNNING"),
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
        Assert.Matches(@"^long: started \(pid \d+\)\n$", await daemon.PmctlOkAsync("start", "long")); // start runs a job once now
        var stopped = await daemon.WaitForStateAsync("long", "STOPPED", TimeSpan.FromSeconds(10));
        Assert.True(stopped.LastRunOvertime);
        Assert.Equal("SIGTERM", stopped.LastExitSignal);
        var events = await daemon.EventsAsync("long");
        // Measured by the daemon's own clock, from the run's start to the decision: a busy machine delays
        // this test's requests, not when the limit strikes.
        var started = events.OfKind("state_changed").First(e => e.Field("to") == "RUNNING").Ts;
        var overtime = Assert.Single(events.OfKind("run_overtime")).Ts;
        Assert.InRange(overtime - started, TimeSpan.FromSeconds(2.9), TimeSpan.FromSeconds(4));
        Assert.Equal("00:00:03", Assert.Single(events.OfKind("run_overtime")).Field("limit"));
        Assert.Contains(events.OfKind("state_changed"), e => (e.Field("to"), e.Field("cause.kind")) == ("STOPPING", "schedule"));
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
        var ended = Assert.Single((await daemon.EventsAsync("expired")).OfKind("schedule_ended"));
        Assert.Equal("true", ended.Field("passed"));
        Assert.StartsWith("2020-01-01T23:59:59", ended.Field("not_after"));
    }

    [SystemFact]
    public async Task DisabledJob_DoesNotRunOnItsSchedule()
    {
        await using var daemon = new TestDaemon();
        daemon.AddService("off", "process:\n  working_directory: {wd}\n  start_command: [\"/bin/sh\", \"-c\", \"echo ran > ran\"]\n  schedule: \"* * * * * *\"\nglobal:\n  enabled: false\n");
        await daemon.StartAsync();
        await Eventually.ValueAsync(() => daemon.EventsAsync("off"), events => events.OfKind("tick_skipped").Any(e => e.Field("why") == "disabled"),
            TimeSpan.FromSeconds(10), "a tick to be skipped");
        Assert.False(File.Exists(Path.Combine(daemon.WorkDir("off"), "ran")));
    }
}
