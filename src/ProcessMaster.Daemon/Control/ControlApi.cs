using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Processes;
using ProcessMaster.Core.State;
using ProcessMaster.Core.Events;
using ProcessMaster.Core.Supervision;
using ProcessMaster.Protocol;

namespace ProcessMaster.Daemon.Control;

/// <summary>
/// The implementation of every JSON-RPC method, registered once on the dispatcher that both the unix
/// socket and the web console use.
/// </summary>
/// <param name="generation">Which daemon this is since the host booted.</param>
/// <param name="logInotify">inotify on the log loop, for log followers (apart from cgroup.events, which services cannot flood).</param>
internal sealed partial class ControlApi(
    ServiceManager manager, EventLog events, IUserDatabase users, OperatorFlags flags, InotifyWatcher logInotify, int generation, BulkReads bulk)
{
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
        dispatcher.Register(Methods.Signal, (p, session) => SignalAsync(p, session.Actor));
        dispatcher.Register(Methods.ServerVersion, (_, _) => Task.FromResult(new HelloResult(BuildIdentity.Current, BuildIdentity.Current.Describe(), generation)));
        dispatcher.Register(Methods.PerfMetrics, (p, _) => Task.FromResult(Metrics(p.Name)));
        dispatcher.Register(Methods.Processes, (p, _) => Task.FromResult(Processes(p.Name)));
        dispatcher.Register(Methods.Schedule, (p, _) => Task.FromResult(Schedule(p.Name)));
    }

    /// <summary>A method whose reply can be megabytes: built and sent under one of the daemon's few bulk-read permits.</summary>
    private void RegisterBulk<TParams, TResult>(RpcDispatcher dispatcher, RpcMethod<TParams, TResult> method, Func<TParams, RpcSession, TResult> read) =>
        dispatcher.Register(method, async (parameters, session) =>
        {
            await bulk.EnterAsync(session);
            return read(parameters, session);
        });

    /// <summary>The service's processes; its cgroup is only read while it runs or still holds something.</summary>
    internal static List<int> LivePids(ServiceSupervisor service) =>
        service.Snapshot.State.IsActive() || service.Cgroup.IsPopulated ? service.Cgroup.Pids() : [];
}
