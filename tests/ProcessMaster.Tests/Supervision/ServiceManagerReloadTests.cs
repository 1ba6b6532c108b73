using System.Collections.Immutable;
using ProcessMaster.Core.Cgroups;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Configuration.Values;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Provisioning;
using ProcessMaster.Core.Supervision;
using ProcessMaster.Tests.Support;
using ProcessMaster.Tests.Supervision.Fakes;

namespace ProcessMaster.Tests.Supervision;

/// <summary>Reload as a diff against what runs, on a simulated host: changed, removed, failing and disabled definitions.</summary>
public sealed class ServiceManagerReloadTests : IAsyncLifetime
{
    private readonly FakeHost _host = new();
    private readonly ServiceManager _manager;
    private readonly DefinitionAdmission _admission;

    public ServiceManagerReloadTests()
    {
        _manager = new ServiceManager(_host.Context);
        var everywhere = Enum.GetValues<CgroupController>().ToDictionary(c => c, _ => LimitBackendKind.V2);
        _admission = new DefinitionAdmission(new CgroupLayout("/fake", "pmtest", everywhere, new Dictionary<CgroupController, string>(), []),
            new Provisioner(FakeUserDatabase.Instance, _host.Time));
    }

    private static ServiceDefinition Service(string name, string command = "/bin/web", bool enabled = true) =>
        Definitions.Service(enabled: enabled) with
        {
            Name = name,
            WorkingDirectory = "/",
            Process = Definitions.Service().Process with { StartCommand = new([command]) },
        };

    private static ServiceCatalog Catalog(IEnumerable<ServiceDefinition> services, params string[] failed) =>
        new([.. services], [], [.. failed], [], null);

    public Task InitializeAsync() => _manager.BootAsync([Service("a"), Service("b"), Service("c")]);

    public Task DisposeAsync() => _manager.ShutdownAsync();

    [Fact(Timeout = 30_000)]
    public async Task AChangedDefinition_RestartsItsService_WithTheNewCommand_AndLeavesTheOthersAlone()
    {
        var untouched = _host.MainPid("b");
        var outcome = await _manager.ReloadAsync(Catalog([Service("a", "/bin/web2"), Service("b"), Service("c")]), _admission);

        Assert.Equal(["a"], outcome.Restarted);
        await Eventually.True(() => _manager.Services["a"].Snapshot.State == ServiceState.Running
                                    && _host.Spawns.Count(s => s.Label == "a") == 2, "a running again");
        Assert.Equal(["/bin/web2"], _host.Spawns.Last(s => s.Label == "a").Command);
        Assert.Equal(untouched, _host.MainPid("b"));
        Assert.Equal(1, _host.SpawnCount("b"));
    }

    /// <summary>A reload says "restarted" of a service only once it runs again: not while its old run still stops.</summary>
    [Fact(Timeout = 30_000)]
    public async Task AReload_SaysRestarted_OnlyOnceTheServiceRunsWithItsNewDefinition()
    {
        var host = new FakeHost { IgnoreStopSignal = true };
        var manager = new ServiceManager(host.Context);
        await manager.BootAsync([Service("a")]);
        await Eventually.True(() => manager.Services["a"].Snapshot.State == ServiceState.Running, "a running");

        var reload = manager.ReloadAsync(Catalog([Service("a", "/bin/web2")]), _admission);
        // Published once the stop's effects (the signal, the grace timer) are done.
        await Eventually.True(() => manager.Services["a"].Snapshot.State == ServiceState.Stopping, "a stopping");
        Assert.NotEmpty(host.Cgroup("a").Signals);
        Assert.False(reload.IsCompleted); // still stopping: not restarted yet

        host.Time.Advance(Definitions.Service().Process.StopGracePeriod); // the old run is killed, the new one starts
        var outcome = await reload;
        Assert.Equal(["a"], outcome.Restarted);
        Assert.Equal(ServiceState.Running, manager.Services["a"].Snapshot.State);
        Assert.Equal(["/bin/web2"], host.Spawns.Last(s => s.Label == "a").Command);

        var shutdown = manager.ShutdownAsync(); // it ignores its stop signal: each grace period ends in a kill
        await Eventually.True(() =>
        {
            host.Time.Advance(Definitions.Service().Process.StopGracePeriod);
            return shutdown.IsCompleted;
        }, "the shutdown");
    }

    /// <summary>
    /// What a reload removes or disables is stopped side by side, what depends on a service before it: two services
    /// that ignore their stop signal take one grace period together, and what they depend on is signalled after.
    /// </summary>
    [Fact(Timeout = 30_000)]
    public async Task RemovedAndDisabledServices_StopSideBySide_DependentsBeforeWhatTheyNeed()
    {
        var host = new FakeHost { IgnoreStopSignal = true };
        var manager = new ServiceManager(host.Context);
        var db = Service("db");
        var web = Service("web") with { DependsOn = new([new Dependency("db", DependencyCondition.Started, null, false)]) };
        await manager.BootAsync([db, web, Service("cache")]);
        await Eventually.True(() => manager.Services.Values.All(s => s.Snapshot.State == ServiceState.Running), "all running");

        var reload = manager.ReloadAsync(Catalog([Service("cache", enabled: false)]), _admission);
        await Eventually.True(() => host.Cgroup("web").Signals.Count > 0 && host.Cgroup("cache").Signals.Count > 0, "web and cache asked to stop at once");
        Assert.Empty(host.Cgroup("db").Signals); // web still runs: db goes after it

        host.Time.Advance(Definitions.Service().Process.StopGracePeriod); // one grace period for both
        await Eventually.True(() => host.Cgroup("db").Signals.Count > 0, "db asked to stop once web is gone");
        Assert.Equal(1, host.Cgroup("web").Kills);
        // Killed within the same grace period (no more time passes), on its own supervisor's loop.
        await Eventually.True(() => host.Cgroup("cache").Kills == 1, "cache killed within the one grace period");
        host.Time.Advance(Definitions.Service().Process.StopGracePeriod);
        var outcome = await reload;

        Assert.Equal(["db", "web"], outcome.Removed.Order(StringComparer.Ordinal));
        Assert.Equal(["cache"], outcome.Stopped);
        Assert.Equal(["cache"], manager.Services.Keys);
        Assert.Equal(ServiceState.Stopped, manager.Services["cache"].Snapshot.State);
        await manager.ShutdownAsync();
    }

    [Fact(Timeout = 30_000)]
    public async Task ARemovedService_IsStopped_AndItsCgroupRemoved()
    {
        var outcome = await _manager.ReloadAsync(Catalog([Service("a"), Service("b")]), _admission);

        Assert.Equal(["c"], outcome.Removed);
        Assert.False(_manager.Services.ContainsKey("c"));
        Assert.False(_host.Cgroup("c").IsPopulated);
        Assert.False(_host.Cgroup("c").Exists);
    }

    [Fact(Timeout = 30_000)]
    public async Task AServiceWhoseFileNowFails_KeepsRunningItsLastGoodDefinition_FlaggedOutdated()
    {
        var pid = _host.MainPid("c");
        var outcome = await _manager.ReloadAsync(Catalog([Service("a"), Service("b")], failed: "c"), _admission);

        Assert.Empty(outcome.Removed);
        Assert.True(_manager.IsOutdated("c"));
        Assert.Equal(pid, _host.MainPid("c"));
        Assert.Equal(ServiceState.Running, _manager.Services["c"].Snapshot.State);
    }

    [Fact(Timeout = 30_000)]
    public async Task ADisabledService_IsStoppedBeforeTheReloadAnswers()
    {
        var outcome = await _manager.ReloadAsync(Catalog([Service("a", enabled: false), Service("b"), Service("c")]), _admission);

        Assert.Empty(outcome.Restarted);
        Assert.Equal(ServiceState.Stopped, _manager.Services["a"].Snapshot.State);
        Assert.False(_host.Cgroup("a").IsPopulated);
    }

    [Fact(Timeout = 30_000)]
    public async Task AChangedDefinition_OfAServiceWaitingToRestart_StartsItNow_WithTheNewOne()
    {
        _host.Exit(_host.MainPid("a"), ExitStatus.Exited(1));
        await Eventually.True(() => _manager.Services["a"].Snapshot.State == ServiceState.Backoff, "a in BACKOFF");

        var outcome = await _manager.ReloadAsync(Catalog([Service("a", "/bin/fixed"), Service("b"), Service("c")]), _admission);

        Assert.Equal(["a"], outcome.Restarted);
        await Eventually.True(() => _manager.Services["a"].Snapshot.State == ServiceState.Running, "a running without waiting out the backoff");
        Assert.Equal(["/bin/fixed"], _host.Spawns.Last(s => s.Label == "a").Command);
    }

    [Fact(Timeout = 30_000)]
    public async Task AChangedDefinition_OfAServiceAnOperatorStopped_DoesNotStartIt()
    {
        await _manager.StopAsync([_manager.Services["a"]]);
        var outcome = await _manager.ReloadAsync(Catalog([Service("a", "/bin/web2"), Service("b"), Service("c")]), _admission);

        Assert.Empty(outcome.Restarted);
        Assert.Equal(ServiceState.Stopped, _manager.Services["a"].Snapshot.State);
        Assert.Equal(["/bin/web2"], _manager.Services["a"].Snapshot.Definition.Process.StartCommand);
        Assert.Equal(1, _host.SpawnCount("a"));
    }
}
