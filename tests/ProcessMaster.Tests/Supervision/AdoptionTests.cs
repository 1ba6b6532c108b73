using ProcessMaster.Core.Events;
using System.Collections.Immutable;
using System.Text.Json;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Processes.Holder;
using ProcessMaster.Core.State;
using ProcessMaster.Core.Supervision;
using ProcessMaster.Core.Supervision.Ports;
using ProcessMaster.Tests.Supervision.Fakes;

namespace ProcessMaster.Tests.Supervision;

/// <summary>
/// A daemon dies and the next one starts on the same host: what ran is adopted with its pid, uptime and
/// restart count; what ended meanwhile is restarted per its policy; a changed definition restarts it.
/// </summary>
public class AdoptionTests
{
    private readonly FakeHost _host = new();

    private static ServiceDefinition Web => Definitions.Service(new RestartSettings(RestartPolicy.Always, TimeSpan.FromSeconds(2), 3, TimeSpan.FromMinutes(1)));

    /// <summary>Runs web on a first daemon, which then dies; returns its main pid.</summary>
    private async Task<(int Pid, ServiceSnapshot Before)> RunThenCrashAsync(ServiceDefinition definition, Func<ServiceSupervisor, Task>? meanwhile = null)
    {
        var first = new ServiceSupervisor(definition, _host.Context);
        Assert.True((await first.StartAsync(StartReason.Boot)).Ok);
        if (meanwhile is not null)
        {
            await meanwhile(first);
        }

        var before = first.Snapshot;
        await Eventually.True(() => _host.SavedRecords.TryGetValue("web", out var r) && r.State == _host.SavedRecords["web"].State && r.State.Run.MainPid == before.MainPid,
            "the state to be saved");
        await _host.CrashDaemon([first]);
        return (before.MainPid!.Value, before);
    }

    [Fact(Timeout = 30_000)]
    public async Task WhatStillRuns_IsAdopted_WithItsPidUptimeAndRestarts_AndItsEndIsSeen()
    {
        var (pid, before) = await RunThenCrashAsync(Web, async s =>
        {
            _host.Exit(_host.MainPid("web"), ExitStatus.Exited(1)); // one restart on the first daemon's watch
            await Eventually.True(() => s.Snapshot.State == ServiceState.Backoff, "BACKOFF");
            _host.Time.Advance(TimeSpan.FromSeconds(2));
            await Eventually.True(() => s.Snapshot.State == ServiceState.Running && s.Snapshot.Restarts == 1, "restarted");
        });
        _host.Time.Advance(TimeSpan.FromMinutes(5));

        await using var second = new ServiceSupervisor(Web, _host.Context);
        await second.StartAsync(StartReason.Boot);
        await Eventually.True(() => second.Snapshot.MainPid == pid, "adopted");
        Assert.Equal((ServiceState.Running, 1, before.StateSince), (second.Snapshot.State, second.Snapshot.Restarts, second.Snapshot.StateSince));
        Assert.Equal(2, _host.SpawnCount("web")); // the second daemon spawned nothing
        Assert.True(_host.Saw<Adopted>(a => a is { Outcome: AdoptionOutcome.Running } && a.Pid == pid));
        Assert.False(_host.Saw<LeftoversFound>());

        // Not its child: the end comes without a status, and counts as a crash.
        _host.Exit(pid, ExitStatus.Exited(0));
        await Eventually.True(() => second.Snapshot.State == ServiceState.Backoff, "BACKOFF after the adopted process ended");
        Assert.Equal(ExitStatus.Unknown, second.Snapshot.LastExit);
        _host.Time.Advance(TimeSpan.FromSeconds(2));
        await Eventually.True(() => second.Snapshot.State == ServiceState.Running && second.Snapshot.Restarts == 2, "restarted by policy");
    }

    [Fact(Timeout = 30_000)]
    public async Task WhatEndedWhileNoDaemonRan_IsRestartedPerItsPolicy_OnceItsBackoffIsOver()
    {
        var (pid, _) = await RunThenCrashAsync(Web);
        _host.Exit(pid, ExitStatus.Exited(1));

        await using var second = new ServiceSupervisor(Web, _host.Context);
        Assert.Equal(OutcomeCode.Pending, (await second.StartAsync(StartReason.Boot)).Code);
        await Eventually.True(() => second.Snapshot.State == ServiceState.Backoff, "BACKOFF");
        Assert.True(_host.Saw<Adopted>(a => a.Outcome == AdoptionOutcome.Ended));
        _host.Time.Advance(TimeSpan.FromSeconds(2));
        await Eventually.True(() => second.Snapshot.State == ServiceState.Running && second.Snapshot.Restarts == 1, "restarted once");
        Assert.Equal(2, _host.SpawnCount("web"));
    }

    [Fact(Timeout = 30_000)]
    public async Task ADefinitionChangedWhileNoDaemonRan_RestartsTheAdoptedService_AsAReloadWould()
    {
        var (pid, _) = await RunThenCrashAsync(Web);
        var changed = Web with { Process = Web.Process with { StopGracePeriod = TimeSpan.FromSeconds(9) } };

        await using var second = new ServiceSupervisor(changed, _host.Context);
        await Eventually.True(() => second.Snapshot.State == ServiceState.Running && second.Snapshot.MainPid is { } p && p != pid, "restarted with the new definition");
        Assert.True(_host.Saw<Adopted>(a => a.Outcome == AdoptionOutcome.DefinitionChanged));
        Assert.Equal(2, _host.SpawnCount("web"));
    }

    [Fact(Timeout = 30_000)]
    public async Task AServiceTheOperatorStopped_IsNotAdopted_ItsLeftoversAreKilled()
    {
        var (pid, _) = await RunThenCrashAsync(Web);
        await _host.SetStoppedByOperatorAsync("web", true); // saved, but the daemon died before the stop ran

        await using var second = new ServiceSupervisor(Web, _host.Context);
        await Eventually.True(() => second.Snapshot.State == ServiceState.Stopped && !_host.Cgroup("web").IsPopulated, "stopped, nothing left");
        Assert.Equal(1, _host.Cgroup("web").Kills);
        Assert.Equal(1, _host.SpawnCount("web"));
        Assert.True(_host.Saw<StateChanged>(c => c is { To: ServiceState.Stopping, Cause.Kind: CauseKind.Reexec }));
        Assert.True(_host.Saw<LeftoversFound>());
    }

    [Fact(Timeout = 30_000)]
    public async Task AStopUnderWayWhenTheDaemonDied_IsFinishedWithCgroupKill()
    {
        _host.IgnoreStopSignal = true;
        var (_, _) = await RunThenCrashAsync(Web, async s =>
        {
            _ = s.StopAsync(StopReason.Restart);
            await Eventually.True(() => s.Snapshot.State == ServiceState.Stopping, "STOPPING");
        });

        await using var second = new ServiceSupervisor(Web, _host.Context);
        // The restart it was in the middle of completes: killed, then started afresh.
        await Eventually.True(() => second.Snapshot.State == ServiceState.Running && _host.SpawnCount("web") == 2, "the restart completed");
        Assert.Equal(1, _host.Cgroup("web").Kills);
        Assert.True(_host.Saw<Adopted>(a => a.Outcome == AdoptionOutcome.StopFinished));
    }

    [Fact]
    public async Task SavedState_RoundTripsThroughTheStateFile()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("pmtest-records-").FullName, "supervision.json");
        var state = new ServiceMachineState
        {
            State = ServiceState.Running,
            StateSince = DateTimeOffset.Parse("2026-03-01T12:00:00Z"),
            Run = new RunRecord { Number = 3, MainPid = 4242, MainAlive = true, StartedAs = StartReason.AutoRestart },
            LastExit = ExitStatus.Killed(9),
            Restarts = new RestartAccounting { Count = 2, Crashes = [TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(20)] },
            Schedule = new ScheduleRecord { NextRun = DateTimeOffset.Parse("2026-03-01T12:05:00Z"), Generation = 4 },
            Probes = new ProbeRecord { Generation = 5, Ready = true, WasReady = true },
            Stop = new StopRecord { Reason = StopReason.Restart, RestartAs = StartReason.Operator },
            TimerGeneration = 7,
        };
        var writer = new SupervisionRecords(file, "boot-a", _ => { });
        writer.Save("web", new SavedService("F1", state));
        await writer.FlushAsync();

        var sameBoot = new SupervisionRecords(file, "boot-a", _ => { });
        Assert.Null(sameBoot.LoadError);
        Assert.Equal(2, sameBoot.Generation);
        var restored = sameBoot.Saved("web");
        Assert.Equal("F1", restored!.Fingerprint);
        Assert.Equal(
            state with { Restarts = state.Restarts with { Crashes = [] }, Run = state.Run with { StartedAfter = ImmutableDictionary<string, long>.Empty }, Dependencies = new() },
            restored.State with { Restarts = restored.State.Restarts with { Crashes = [] }, Run = restored.State.Run with { StartedAfter = ImmutableDictionary<string, long>.Empty }, Dependencies = new() });
        Assert.Equal(state.Restarts.Crashes.ToArray(), restored.State.Restarts.Crashes.ToArray());
        Assert.Contains("\"state\": \"Running\"".Replace(" ", ""), File.ReadAllText(file).Replace(" ", ""));

        Assert.Null(new SupervisionRecords(file, "boot-b", _ => { }).Saved("web")); // a reboot: nothing of it runs
        File.WriteAllText(file, """{"version": 2, "boot_id": "boot-a", "generation": 1, "services": {"web": {"state": null}}}""");
        Assert.Null(new SupervisionRecords(file, "boot-a", _ => { }).Saved("web")); // a damaged record is not adopted
        File.WriteAllText(file, """{"version": 2, "boot_id": "boot-a", "generation": 1, "services": {"web": {"fingerprint": "F1", "state": {"run": null}}}}""");
        Assert.Null(new SupervisionRecords(file, "boot-a", _ => { }).Saved("web")); // a damaged record is not adopted
        File.WriteAllText(file, """{"version": 1, "boot_id": "boot-a", "generation": 1}""");
        Assert.Null(new SupervisionRecords(file, "boot-a", _ => { }).Saved("web"));
        Assert.Null(SupervisionRecords.Validate(file));
        File.WriteAllText(file, JsonSerializer.Serialize(new { version = 99 }));
        Assert.Contains("version 99", SupervisionRecords.Validate(file));
    }

    [Theory]
    [InlineData("main.stdout 42 web", ProcessRole.Main, false)]
    [InlineData("main.stderr 42 web", ProcessRole.Main, true)]
    [InlineData("stop.stdout 42 web", ProcessRole.StopCommand, false)]
    [InlineData("stop.stderr 42 web", ProcessRole.StopCommand, true)]
    public void HeldPipeKeys_RoundTrip(string text, ProcessRole role, bool stderr)
    {
        var key = HeldPipeKey.Parse(text);
        Assert.Equal(new HeldPipeKey("web", 42, role, stderr), key);
        Assert.Equal(text, key!.Text);
    }

    [Theory]
    [InlineData("")]
    [InlineData("main.stdout web")]
    [InlineData("main.stdin 42 web")]
    [InlineData("main.stdout -1 web")]
    [InlineData("main.stdout 42 ")]
    public void MalformedHeldPipeKeys_AreRejected(string text) => Assert.Null(HeldPipeKey.Parse(text));
}
