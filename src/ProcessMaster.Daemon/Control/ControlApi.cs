using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Configuration.Values;
using ProcessMaster.Core.Events;
using ProcessMaster.Core.Supervision;
using ProcessMaster.Protocol;

namespace ProcessMaster.Daemon.Control;

/// <summary>
/// The implementation of every JSON-RPC method, registered once on the dispatcher that both the unix
/// socket and the web console use.
/// </summary>
internal sealed partial class ControlApi(DaemonRuntime runtime, BulkReads bulk)
{
    private readonly ServiceManager manager = runtime.Services;
    private readonly EventLog events = runtime.Events;

    public void RegisterAll(RpcDispatcher dispatcher)
    {
        dispatcher.Register(Methods.Status, (p, _) => Task.FromResult(Status(p.Name)));
        RegisterBulk(dispatcher, Methods.Events, (p, _) => Events(p));
        RegisterBulk(dispatcher, Methods.EventsFollow, EventsFollow);
        RegisterBulk(dispatcher, Methods.Logs, (p, _) => Logs(p));
        RegisterBulk(dispatcher, Methods.LogsFollow, LogsFollow);
        dispatcher.Register(Methods.StatusFollow, (p, session) => Task.FromResult(StatusFollow(p, session)));
        dispatcher.Register(Methods.Start, (p, session) => LifecycleAsync(p, Lifecycle.Start, session.Actor));
        dispatcher.Register(Methods.Stop, (p, session) => LifecycleAsync(p, Lifecycle.Stop, session.Actor));
        dispatcher.Register(Methods.Restart, (p, session) => LifecycleAsync(p, Lifecycle.Restart, session.Actor));
        dispatcher.Register(Methods.ServerVersion, (_, _) => Task.FromResult(new HelloResult(BuildIdentity.Current, BuildIdentity.Current.Describe(), runtime.Generation)));
        dispatcher.Register(Methods.PerfMetrics, (p, _) => Task.FromResult(Metrics(p.Name)));
        dispatcher.Register(Methods.Processes, (p, _) => Task.FromResult(Processes(p.Name)));
        dispatcher.Register(Methods.Schedule, (p, _) => Task.FromResult(Schedule(p.Name)));
        RegisterDefinitionMethods(dispatcher);
        RegisterAdminMethods(dispatcher);
        RegisterFlagMethods(dispatcher);
    }

    /// <summary>A method whose reply can be megabytes: built and sent under one of the daemon's few bulk-read permits.</summary>
    private void RegisterBulk<TParams, TResult>(RpcDispatcher dispatcher, RpcMethod<TParams, TResult> method, Func<TParams, RpcSession, TResult> read) =>
        dispatcher.Register(method, async (parameters, session) =>
        {
            await bulk.EnterAsync(session);
            return read(parameters, session);
        });

    private ServiceSupervisor Find(string name) =>
        manager.Services.TryGetValue(name, out var service)
            ? service
            : throw new RpcException(RpcErrorCodes.NotFound, $"unknown service: {name}");

    /// <summary>The service's processes; its cgroup is only read while it runs or still holds something.</summary>
    internal static List<int> LivePids(ServiceSupervisor service) =>
        service.Snapshot.State.IsActive() || service.Cgroup.IsPopulated ? service.Cgroup.Pids() : [];

    private IReadOnlyList<ServiceSupervisor> Targets(string? name) =>
        name is null or ApplicationName.AllTarget ? [.. manager.Services.Values] : [Find(name)];

    private static RpcException InvalidParams(string message) => new(RpcErrorCodes.InvalidParams, $"invalid params: {message}");
}
