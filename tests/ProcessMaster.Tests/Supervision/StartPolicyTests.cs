using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Supervision;
using ProcessMaster.Tests.Supervision.Fakes;

namespace ProcessMaster.Tests.Supervision;

/// <summary>A start that names no service (boot, start all, restart all) takes the long-running, enabled ones; never a cron job.</summary>
public sealed class StartPolicyTests : IAsyncLifetime
{
    private readonly FakeHost _host = new();
    private readonly ServiceManager _manager;

    public StartPolicyTests() => _manager = new ServiceManager(_host.Context);

    private static ServiceDefinition Named(ServiceDefinition definition, string name) => definition with { Name = name, WorkingDirectory = "/" };

    public Task InitializeAsync() => _manager.BootAsync(
        [Named(Definitions.Service(), "web"), Named(Definitions.Cron(), "job"), Named(Definitions.Service(enabled: false), "off")]);

    public Task DisposeAsync() => _manager.ShutdownAsync();

    [Fact(Timeout = 30_000)]
    public async Task Boot_StartsOnlyTheEnabledLongRunningService()
    {
        await Eventually.True(() => _manager.Services["web"].Snapshot.State == ServiceState.Running, "web running");
        Assert.Equal((1, 0, 0), (_host.SpawnCount("web"), _host.SpawnCount("job"), _host.SpawnCount("off")));
    }

    [Fact(Timeout = 30_000)]
    public async Task StartAll_LeavesCronJobsToTheirSchedule_AndDisabledServicesUnlessForced()
    {
        var all = _manager.Services.Values.ToList();
        Assert.Equal(["web"], (await _manager.StartAsync(all, force: false, all: true)).Select(r => r.Name));
        Assert.Equal(["off", "web"], (await _manager.StartAsync(all, force: true, all: true)).Select(r => r.Name));
        Assert.Equal(["web"], (await _manager.RestartAsync(all, force: false, all: true)).Select(r => r.Name));
        Assert.Equal(0, _host.SpawnCount("job"));

        // Named, a cron job runs once now, and a disabled service is refused without --force.
        var named = await _manager.StartAsync([_manager.Services["job"], _manager.Services["off"]], force: false, all: false);
        Assert.Equal([("job", OutcomeCode.Ok), ("off", OutcomeCode.AlreadyRunning)], named.Select(r => (r.Name, r.Result.Code)));
    }
}
