using ProcessMaster.Core.Events;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Supervision;
using ProcessMaster.Tests.Supervision.Fakes;

namespace ProcessMaster.Tests.Supervision;

/// <summary>
/// A chain db (readiness probe) -> migrate (one-shot) -> web -> worker on a simulated host: boot follows the
/// graph, stop and shutdown go from dependents to dependencies, start brings up what is needed.
/// </summary>
public sealed class ServiceManagerDependencyTests : IAsyncLifetime
{
    private readonly FakeHost _host = new();
    private readonly ServiceManager _manager;

    public ServiceManagerDependencyTests() => _manager = new ServiceManager(_host.Context);

    private static ServiceDefinition Service(string name, params Dependency[] dependencies) =>
        Definitions.Service() with { Name = name, WorkingDirectory = "/", DependsOn = new(dependencies) };

    private static readonly ServiceDefinition Db = Service("db") with
    {
        Readiness = new ProbeSettings(null, null, new TcpProbe("127.0.0.1", 5432), null, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1), 1, 3),
    };

    private static readonly ServiceDefinition Migrate = Service("migrate", new Dependency("db", DependencyCondition.Healthy, null, false)) with
    {
        Restart = new RestartSettings(RestartPolicy.Never, TimeSpan.Zero, 0, TimeSpan.FromMinutes(1)),
    };

    private static readonly ServiceDefinition Web = Service("web",
        new Dependency("db", DependencyCondition.Healthy, null, false), new Dependency("migrate", DependencyCondition.CompletedSuccessfully, null, false));

    private static readonly ServiceDefinition Worker = Service("worker", new Dependency("web", DependencyCondition.Started, null, false));

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _manager.ShuttingDown ? Task.CompletedTask : _manager.ShutdownAsync();

    private ServiceState State(string name) => _manager.Services[name].Snapshot.State;

    private async Task BootChainAsync()
    {
        await _manager.BootAsync([Db, Migrate, Web, Worker]); // answered while they wait: boot never hangs
        Assert.Equal(ServiceState.Running, State("db"));
        Assert.All(["migrate", "web", "worker"], name => Assert.Equal(ServiceState.Waiting, State(name)));
        Assert.Equal("db (healthy)", _manager.Services["migrate"].Snapshot.WaitingFor);

        _host.Time.Advance(TimeSpan.FromSeconds(2)); // db's first readiness check passes
        await Eventually.True(() => State("migrate") == ServiceState.Running, "migrate to start once db is healthy");
        Assert.Equal(ServiceState.Waiting, State("web"));
        Assert.Equal(0, _host.SpawnCount("web"));

        _host.Exit(_host.MainPid("migrate"), ExitStatus.Exited(0));
        await Eventually.True(() => State("worker") == ServiceState.Running, "web, then worker, to start once migrate exited 0");
        Assert.Equal(ServiceState.Exited, State("migrate"));
    }

    [Fact(Timeout = 30_000)]
    public async Task Boot_FollowsTheGraph()
    {
        await BootChainAsync();
        var order = _host.Spawns.Select(s => s.Label).ToList();
        Assert.Equal(["db", "migrate", "web", "worker"], order);
    }

    [Fact(Timeout = 30_000)]
    public async Task StoppingADependency_StopsItsDependentsFirst_AndSaysWhy_UnlessNoDeps()
    {
        await BootChainAsync();
        var results = await _manager.StopAsync([_manager.Services["db"]]);
        Assert.Equal(["db: stopped", "web: stopped (depends on db)", "worker: stopped (depends on db)"],
            results.Select(r => $"{r.Name}: {r.Result.Message}"));
        var stopped = _host.Recorded.Where(r => r.Event is StateChanged { To: ServiceState.Stopped }).Select(r => r.App).ToList();
        Assert.Equal(["worker", "web", "db"], stopped);

        Assert.True((await _manager.StartAsync([_manager.Services["db"]], force: false, all: false)).All(r => r.Result.Ok));
        Assert.True((await _manager.StartAsync([_manager.Services["worker"]], force: false, all: false, noDeps: true)).All(r => r.Result.Ok));
        var alone = await _manager.StopAsync([_manager.Services["db"]], noDeps: true);
        Assert.Equal(["db"], alone.Select(r => r.Name));
        Assert.Equal(ServiceState.Running, State("worker"));
    }

    [Fact(Timeout = 30_000)]
    public async Task StartingADependent_StartsWhatItNeeds()
    {
        await BootChainAsync();
        await _manager.StopAsync([_manager.Services["db"]]);
        var start = _manager.StartAsync([_manager.Services["worker"]], force: false, all: false);
        await Eventually.True(() => State("web") == ServiceState.Waiting && State("db") == ServiceState.Running, "web to wait for db again");
        _host.Time.Advance(TimeSpan.FromSeconds(2));
        var results = await start;
        Assert.Equal(["db", "web", "worker"], results.Select(r => r.Name));
        Assert.All(results, r => Assert.StartsWith("started (pid", r.Result.Message));
        Assert.Contains("(needed by worker)", results.Single(r => r.Name == "web").Result.Message);
        Assert.Equal(ServiceState.Exited, State("migrate")); // done already: it is not run again
    }

    [Fact(Timeout = 30_000)]
    public async Task Shutdown_StopsDependentsBeforeTheirDependencies()
    {
        await BootChainAsync();
        await _manager.ShutdownAsync();
        var stopped = _host.Recorded.Where(r => r.Event is StateChanged { To: ServiceState.Stopped }).Select(r => r.App).ToList();
        Assert.Equal(["worker", "web", "db"], stopped);
    }
}
