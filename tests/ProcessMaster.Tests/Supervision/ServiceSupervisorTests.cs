using ProcessMaster.Core.Events;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Configuration.Values;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Supervision;
using ProcessMaster.Tests.Supervision.Fakes;

namespace ProcessMaster.Tests.Supervision;

/// <summary>
/// A supervisor over time, on a simulated host and a fake clock: restart, backoff and tolerance, the
/// stop's grace period and cgroup.kill, leftovers of an earlier daemon, failed spawns. No root, no sleeps.
/// </summary>
public class ServiceSupervisorTests
{
    private readonly FakeHost _host = new();

    private static ServiceDefinition Service(TimeSpan backoff, int maxRestarts, TimeSpan window, TimeSpan? grace = null) =>
        Definitions.Service(new RestartSettings(RestartPolicy.Always, backoff, maxRestarts, window), grace: grace);

    [Fact(Timeout = 30_000)]
    public async Task ACrashingService_RestartsAfterItsBackoff_UntilItsToleranceIsUsedUp()
    {
        await using var web = new ServiceSupervisor(Service(TimeSpan.FromSeconds(2), 2, TimeSpan.FromMinutes(1)), _host.Context);
        Assert.True((await web.StartAsync(StartReason.Operator)).Ok);

        for (var crash = 1; crash <= 2; crash++)
        {
            await CrashAsync(web);
            await Eventually.True(() => web.Snapshot.State == ServiceState.Backoff, $"BACKOFF after crash {crash}");
            _host.Time.Advance(TimeSpan.FromMilliseconds(1999));
            Assert.Equal(crash, _host.SpawnCount("web")); // nothing was posted: the backoff has not run out
            _host.Time.Advance(TimeSpan.FromMilliseconds(1));
            await Eventually.True(() => web.Snapshot.State == ServiceState.Running && _host.SpawnCount("web") == crash + 1, $"restart {crash}");
        }

        await CrashAsync(web);
        await Eventually.True(() => web.Snapshot.State == ServiceState.Failed, "FAILED once max_restarts is used up");
        Assert.Equal(2, web.Snapshot.Restarts);
        Assert.True(_host.Saw<StateChanged>(c => c is { To: ServiceState.Failed, Cause.Kind: CauseKind.Crash, Exit.Code: 1 }));
    }

    [Fact(Timeout = 30_000)]
    public async Task AMessageThatChangesNothing_IsNeitherPublishedNorSavedAgain()
    {
        await using var web = new ServiceSupervisor(Service(TimeSpan.FromSeconds(1), 3, TimeSpan.FromMinutes(1)), _host.Context);
        Assert.True((await web.StartAsync(StartReason.Operator)).Ok);
        var snapshot = web.Snapshot;
        var saves = _host.Saves;

        Assert.True((await web.StartAsync(StartReason.Operator)).Ok); // already running: nothing to do

        Assert.Same(snapshot, web.Snapshot);
        Assert.Equal(saves, _host.Saves);
        await CrashAsync(web);
        await Eventually.True(() => _host.Saves > saves, "a real change is saved");
    }

    [Fact(Timeout = 30_000)]
    public async Task CrashesFurtherApartThanTheWindow_NeverUseUpTheTolerance()
    {
        await using var web = new ServiceSupervisor(Service(TimeSpan.FromSeconds(1), 1, TimeSpan.FromSeconds(10)), _host.Context);
        await web.StartAsync(StartReason.Operator);
        for (var crash = 1; crash <= 3; crash++)
        {
            await CrashAsync(web);
            await Eventually.True(() => web.Snapshot.State == ServiceState.Backoff, $"BACKOFF after crash {crash}");
            _host.Time.Advance(TimeSpan.FromSeconds(1));
            await Eventually.True(() => web.Snapshot.State == ServiceState.Running, $"running again after crash {crash}");
            _host.Time.Advance(TimeSpan.FromSeconds(11)); // the crash leaves the window
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task AStopSignalThatIsIgnored_EndsInCgroupKill_OnceTheGracePeriodIsOver()
    {
        _host.IgnoreStopSignal = true;
        await using var web = new ServiceSupervisor(Service(TimeSpan.FromSeconds(1), 3, TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(5)), _host.Context);
        await web.StartAsync(StartReason.Operator);
        var cgroup = _host.Cgroup("web");

        var stop = web.StopAsync(StopReason.Operator);
        await Eventually.True(() => web.Snapshot.State == ServiceState.Stopping, "STOPPING (published once its grace timer is armed)");
        Assert.Contains(15, cgroup.Signals);
        _host.Time.Advance(TimeSpan.FromMilliseconds(4999));
        Assert.False(stop.IsCompleted);
        Assert.Equal(0, cgroup.Kills);

        _host.Time.Advance(TimeSpan.FromMilliseconds(1));
        var result = await stop;
        Assert.True(result.Ok, result.Message);
        Assert.Equal(1, cgroup.Kills);
        Assert.False(cgroup.IsPopulated);
        Assert.Equal(ServiceState.Stopped, web.Snapshot.State);
    }

    [Fact(Timeout = 30_000)]
    public async Task AGroupThatCgroupKillCannotEmpty_FailsTheStop_NamingWhatRemains()
    {
        _host.IgnoreStopSignal = true;
        _host.KillIsStuck = true;
        var published = 0;
        await using var web = new ServiceSupervisor(Service(TimeSpan.FromSeconds(1), 3, TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(2)), _host.Context)
        {
            SnapshotPublished = _ => Interlocked.Increment(ref published),
        };
        await web.StartAsync(StartReason.Operator);
        var pid = _host.MainPid("web");

        var stop = web.StopAsync(StopReason.Operator);
        await Eventually.True(() => web.Snapshot.State == ServiceState.Stopping, "STOPPING (published once its grace timer is armed)");
        var before = Volatile.Read(ref published);
        _host.Time.Advance(TimeSpan.FromSeconds(2));
        await Eventually.True(() => _host.Cgroup("web").Kills == 1 && Volatile.Read(ref published) > before, "cgroup.kill, and its deadline armed");
        _host.Time.Advance(ServiceStateMachine.KillTimeout);
        var result = await stop;

        Assert.False(result.Ok);
        Assert.Contains($"pid(s) {pid} remain", result.Message);
        Assert.Equal(ServiceState.Failed, web.Snapshot.State);
    }

    [Fact(Timeout = 30_000)]
    public async Task ProcessesAnEarlierDaemonLeft_AreKilledBeforeTheServiceStartsFresh()
    {
        var leftover = _host.AddLeftover("web");
        await using var web = new ServiceSupervisor(Service(TimeSpan.FromSeconds(1), 3, TimeSpan.FromMinutes(1)), _host.Context);
        var result = await web.StartAsync(StartReason.Boot);

        Assert.True(result.Ok, result.Message);
        Assert.DoesNotContain(leftover, _host.Cgroup("web").Pids());
        Assert.Equal(1, _host.Cgroup("web").Kills);
        Assert.True(_host.Saw<LeftoversFound>(l => l.Pids.SequenceEqual([leftover])));
        Assert.True(_host.Saw<StateChanged>(c => c is { To: ServiceState.Starting, Cause.Kind: CauseKind.Boot }));
    }

    [Fact(Timeout = 30_000)]
    public async Task AStartThatCannotSpawn_FailsForItsCaller_AndTheRestartPolicyTakesOver()
    {
        _host.FailSpawns = true;
        await using var web = new ServiceSupervisor(Service(TimeSpan.FromSeconds(3), 3, TimeSpan.FromMinutes(1)), _host.Context);
        var result = await web.StartAsync(StartReason.Operator);

        Assert.False(result.Ok);
        Assert.Contains("injected spawn failure", result.Message);
        await Eventually.True(() => web.Snapshot.State == ServiceState.Backoff, "BACKOFF");
        _host.FailSpawns = false;
        _host.Time.Advance(TimeSpan.FromSeconds(3));
        await Eventually.True(() => web.Snapshot.State == ServiceState.Running, "running after the backoff");
    }

    [Fact(Timeout = 30_000)]
    public async Task AnOperatorStop_IsSaved_AndABootStartDoesNotUndoIt()
    {
        await using (var web = new ServiceSupervisor(Service(TimeSpan.FromSeconds(1), 3, TimeSpan.FromMinutes(1)), _host.Context))
        {
            await web.StartAsync(StartReason.Operator);
            Assert.True((await web.StopAsync(StopReason.Operator)).Ok);
        }

        Assert.True(_host.IsStoppedByOperator("web"));
        await using var next = new ServiceSupervisor(Service(TimeSpan.FromSeconds(1), 3, TimeSpan.FromMinutes(1)), _host.Context);
        Assert.Equal("stopped by operator; not started", (await next.StartAsync(StartReason.Boot)).Message);
        Assert.Equal(ServiceState.Stopped, next.Snapshot.State);
    }

    [Fact(Timeout = 30_000)]
    public async Task AnExitThatFailsToBeHandled_IsHandledAgain_SoTheServiceIsNotStuckRunning()
    {
        await using var web = new ServiceSupervisor(Service(TimeSpan.FromSeconds(5), 3, TimeSpan.FromMinutes(1)), _host.Context);
        await web.StartAsync(StartReason.Operator);
        await web.StartAsync(StartReason.Operator); // a round trip: everything posted so far is handled
        var cgroup = _host.Cgroup("web");
        cgroup.FailingReads = 2; // the exit and the emptied cgroup both fail once
        _host.Exit(_host.MainPid("web"), ExitStatus.Exited(1));
        await Eventually.True(() => _host.Events.Count(e => e.Contains("injected read failure")) == 2, "both failures reported");
        Assert.Equal(ServiceState.Running, web.Snapshot.State);

        _host.Time.Advance(TimeSpan.FromSeconds(1));
        await Eventually.True(() => web.Snapshot.State == ServiceState.Backoff, "the exit handled on the retry");
    }

    [Fact(Timeout = 30_000)]
    public async Task AFirstMessageHandledLate_DoesNotMistakeTheRunningServiceForLeftovers()
    {
        var published = 0;
        _host.Cgroup("web").FailingReads = 1; // the supervisor's first message fails and comes again in a second
        await using var web = new ServiceSupervisor(Service(TimeSpan.FromSeconds(1), 3, TimeSpan.FromMinutes(1)), _host.Context)
        {
            SnapshotPublished = _ => Interlocked.Increment(ref published),
        };
        Assert.True((await web.StartAsync(StartReason.Boot)).Ok);
        await web.StartAsync(StartReason.Boot); // a round trip: everything posted so far is handled
        var pid = _host.MainPid("web");
        var before = Volatile.Read(ref published);

        _host.Time.Advance(TimeSpan.FromSeconds(1));
        await Eventually.True(() => Volatile.Read(ref published) > before, "the first message handled again");
        Assert.Equal(0, _host.Cgroup("web").Kills);
        Assert.Equal(pid, _host.MainPid("web"));
        Assert.Equal(ServiceState.Running, web.Snapshot.State);
    }

    [Fact(Timeout = 30_000)]
    public async Task NothingStartsAgainByItself_OnceFailed_StoppedInBackoff_ExitedUnderPolicyNever_OrRunOnceWhileDisabled()
    {
        var never = new RestartSettings(RestartPolicy.Never, TimeSpan.FromSeconds(1), 3, TimeSpan.FromMinutes(1));
        await using var failed = new ServiceSupervisor(Service(TimeSpan.FromSeconds(1), 0, TimeSpan.FromMinutes(1)) with { Name = "failed" }, _host.Context);
        await using var stopped = new ServiceSupervisor(Service(TimeSpan.FromSeconds(5), 3, TimeSpan.FromMinutes(1)) with { Name = "stopped" }, _host.Context);
        await using var once = new ServiceSupervisor(Definitions.Service(never) with { Name = "once" }, _host.Context);
        await using var forced = new ServiceSupervisor(Definitions.Service(enabled: false) with { Name = "forced" }, _host.Context);
        await failed.StartAsync(StartReason.Operator);
        await stopped.StartAsync(StartReason.Operator);
        await once.StartAsync(StartReason.Operator);
        await forced.StartAsync(StartReason.Operator, force: true);
        foreach (var name in new[] { "failed", "stopped", "once", "forced" })
        {
            _host.Exit(_host.MainPid(name), ExitStatus.Exited(name == "once" ? 0 : 1));
        }

        await Eventually.True(() => failed.Snapshot.State == ServiceState.Failed && stopped.Snapshot.State == ServiceState.Backoff
                                    && once.Snapshot.State == ServiceState.Exited && forced.Snapshot.State == ServiceState.Stopped, "each decided");
        await stopped.StopAsync(StopReason.Operator);

        _host.Time.Advance(TimeSpan.FromHours(1));
        foreach (var service in new[] { failed, stopped, once, forced })
        {
            await service.StopAsync(StopReason.Shutdown); // a round trip: any timer that fired has been handled
            Assert.Equal(1, _host.SpawnCount(service.Name));
        }
    }

    private async Task CrashAsync(ServiceSupervisor web)
    {
        await Eventually.True(() => web.Snapshot.State == ServiceState.Running, "RUNNING");
        _host.Exit(_host.MainPid("web"), ExitStatus.Exited(1));
    }
}
