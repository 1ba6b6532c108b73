using ProcessMaster.Core.Events;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Configuration.Values;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Supervision;
using ProcessMaster.Tests.Supervision.Fakes;

namespace ProcessMaster.Tests.Supervision;

/// <summary>A cron job's supervisor on a fake clock: its ticks within the bounds, overlap, overtime, long waits.</summary>
public class CronSupervisionTests
{
    private readonly FakeHost _host = new();

    private DateTimeOffset Now => _host.Time.GetUtcNow();

    private ServiceDefinition Job(string cron, TimeSpan? notBefore = null, TimeSpan? notAfter = null, TimeSpan? maxTime = null) =>
        Definitions.Cron() with
        {
            Name = "web",
            Schedule = new ScheduleSettings(CronSchedule.Parse(cron, TimeZoneInfo.Utc), Now + notBefore, Now + notAfter, maxTime),
        };

    [Fact(Timeout = 30_000)]
    public async Task AJob_RunsOnEachTick_BetweenNotBeforeAndNotAfter_ThenSaysItIsDone()
    {
        var start = Now;
        await using var job = new ServiceSupervisor(Job("*/10 * * * *", TimeSpan.FromMinutes(25), TimeSpan.FromMinutes(55)), _host.Context);
        await Eventually.True(() => job.Snapshot.NextRun == start.AddMinutes(30), "the first tick at not_before's next occurrence");

        foreach (var tick in new[] { 30, 40, 50 })
        {
            _host.Time.Advance(start.AddMinutes(tick) - Now);
            await Eventually.True(() => _host.SpawnCount("web") == (tick - 20) / 10, $"the run at +{tick} min");
            await Eventually.True(() => job.Snapshot.State == ServiceState.Running, "RUNNING");
            _host.Exit(_host.MainPid("web"), ExitStatus.Exited(0));
            await Eventually.True(() => job.Snapshot.State == ServiceState.Stopped, "the run finished");
        }

        Assert.Null(job.Snapshot.NextRun);
        Assert.True(_host.Saw<ScheduleEnded>(e => e is { NotAfter: not null, Passed: false }));
        _host.Time.Advance(TimeSpan.FromHours(3));
        Assert.Equal(3, _host.SpawnCount("web"));
    }

    [Fact(Timeout = 30_000)]
    public async Task ATickWhileTheLastRunGoesOn_IsSkipped_AndARunOverItsTime_IsStopped()
    {
        var start = Now;
        await using var job = new ServiceSupervisor(Job("* * * * *", maxTime: TimeSpan.FromSeconds(90)), _host.Context);
        await Eventually.True(() => job.Snapshot.NextRun == start.AddMinutes(1), "the first tick");
        _host.Time.Advance(TimeSpan.FromMinutes(1));
        await Eventually.True(() => job.Snapshot.State == ServiceState.Running && job.Snapshot.NextRun == start.AddMinutes(2), "the first run");

        _host.Time.Advance(TimeSpan.FromMinutes(1));
        await Eventually.True(() => _host.Saw<TickSkipped>(t => t is { Why: TickSkip.StillRunning, State: ServiceState.Running }), "the overlapping tick skipped");
        Assert.Equal(1, _host.SpawnCount("web"));

        _host.Time.Advance(TimeSpan.FromSeconds(30));
        await Eventually.True(() => job.Snapshot.State == ServiceState.Stopped, "the overtime run stopped");
        Assert.True(job.Snapshot.LastRunOvertime);
        Assert.Contains(15, _host.Cgroup("web").Signals);
    }

    [Fact(Timeout = 30_000)]
    public async Task ATickDaysAway_IsReachedThroughHourlyCheckpoints()
    {
        var published = 0;
        var start = Now;
        await using var job = new ServiceSupervisor(Job("0 12 3 * *"), _host.Context) { SnapshotPublished = _ => Interlocked.Increment(ref published) };
        var due = new DateTimeOffset(2026, 3, 3, 12, 0, 0, TimeSpan.Zero);
        await Eventually.True(() => job.Snapshot.NextRun == due, "the tick two days away");

        for (var hour = 1; hour < 48; hour++)
        {
            var before = Volatile.Read(ref published);
            _host.Time.Advance(TimeSpan.FromHours(1));
            await Eventually.True(() => Volatile.Read(ref published) > before, $"checkpoint {hour}");
            Assert.Equal(0, _host.SpawnCount("web"));
        }

        _host.Time.Advance(due - Now);
        await Eventually.True(() => _host.SpawnCount("web") == 1, "the run when the tick is due");
        Assert.Equal(TimeSpan.FromHours(48), Now - start);
    }

    [Fact(Timeout = 30_000)]
    public async Task AJobThatIsRemoved_StartsNoFurtherRun()
    {
        await using var job = new ServiceSupervisor(Job("* * * * *"), _host.Context);
        await Eventually.True(() => job.Snapshot.NextRun is not null, "the schedule armed");
        await job.StopAsync(StopReason.Removed);
        Assert.Null(job.Snapshot.NextRun);
        _host.Time.Advance(TimeSpan.FromMinutes(5));
        await job.StopAsync(StopReason.Removed); // a round trip through the mailbox: any tick would have been handled
        Assert.Equal(0, _host.SpawnCount("web"));
    }
}
