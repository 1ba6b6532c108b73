using System.Text.Json.Serialization.Metadata;

namespace ProcessMaster.Protocol;

/// <summary>One JSON-RPC method: its name and the JSON contracts of its params and result, each built on first use.</summary>
public sealed class RpcMethod<TParams, TResult>(
    string name, Func<ProtocolJsonContext, JsonTypeInfo<TParams>> parameters, Func<ProtocolJsonContext, JsonTypeInfo<TResult>> result)
{
    public string Name => name;

    public JsonTypeInfo<TParams> Params => parameters(ProtocolJsonContext.Default);

    public JsonTypeInfo<TResult> Result => result(ProtocolJsonContext.Default);
}

/// <summary>A server-to-client notification, its contract built on first use.</summary>
public sealed class RpcNotification<TParams>(string name, Func<ProtocolJsonContext, JsonTypeInfo<TParams>> parameters)
{
    public string Name => name;

    public JsonTypeInfo<TParams> Params => parameters(ProtocolJsonContext.Default);
}

/// <summary>
/// Every method of the protocol, defined once for the daemon, pmctl and the web console. A JSON contract
/// is built (with some reflection) when a call first needs it, so pmctl pays only for the method it calls,
/// and the daemon, which registers every method at boot, only for those it is asked (all of them are about
/// 100 KB of heap).
/// </summary>
public static class Methods
{
    public static RpcMethod<HelloParams, HelloResult> Hello { get; } = new("hello", j => j.HelloParams, j => j.HelloResult);
    public static RpcMethod<OptionalNameParams, StatusResult> Status { get; } = new("status", j => j.OptionalNameParams, j => j.StatusResult);
    public static RpcMethod<EventsParams, EventsResult> Events { get; } = new("events", j => j.EventsParams, j => j.EventsResult);
    public static RpcMethod<LogsParams, LogsResult> Logs { get; } = new("logs", j => j.LogsParams, j => j.LogsResult);
    public static RpcMethod<LogsFollowParams, LogsFollowResult> LogsFollow { get; } = new("logs.follow", j => j.LogsFollowParams, j => j.LogsFollowResult);
    public static RpcMethod<EventsFollowParams, EventsResult> EventsFollow { get; } = new("events.follow", j => j.EventsFollowParams, j => j.EventsResult);
    public static RpcMethod<StatusFollowParams, StatusResult> StatusFollow { get; } = new("status.follow", j => j.StatusFollowParams, j => j.StatusResult);
    public static RpcMethod<TargetParams, OperationResult> Start { get; } = new("start", j => j.TargetParams, j => j.OperationResult);
    public static RpcMethod<TargetParams, OperationResult> Stop { get; } = new("stop", j => j.TargetParams, j => j.OperationResult);
    public static RpcMethod<TargetParams, OperationResult> Restart { get; } = new("restart", j => j.TargetParams, j => j.OperationResult);
    public static RpcMethod<SignalParams, OperationResult> Signal { get; } = new("signal", j => j.SignalParams, j => j.OperationResult);
    public static RpcMethod<NameParams, UpdateResult> Enable { get; } = new("enable", j => j.NameParams, j => j.UpdateResult);
    public static RpcMethod<NameParams, UpdateResult> Disable { get; } = new("disable", j => j.NameParams, j => j.UpdateResult);
    public static RpcMethod<EmptyParams, UpdateResult> Update { get; } = new("update", j => j.EmptyParams, j => j.UpdateResult);
    public static RpcMethod<EmptyParams, HelloResult> ServerVersion { get; } = new("server_version", j => j.EmptyParams, j => j.HelloResult);
    public static RpcMethod<EmptyParams, ReexecResult> DaemonReexec { get; } = new("daemon.reexec", j => j.EmptyParams, j => j.ReexecResult);
    public static RpcMethod<NameParams, PerfMetrics> PerfMetrics { get; } = new("perf_metrics", j => j.NameParams, j => j.PerfMetrics);
    public static RpcMethod<FlagParams, FlagResult> Flag { get; } = new("flag", j => j.FlagParams, j => j.FlagResult);
    public static RpcMethod<FlagParams, FlagResult> Unflag { get; } = new("unflag", j => j.FlagParams, j => j.FlagResult);
    public static RpcMethod<NameParams, ScheduleResult> Schedule { get; } = new("schedule", j => j.NameParams, j => j.ScheduleResult);
    public static RpcMethod<OptionalNameParams, ProcessesResult> Processes { get; } = new("processes", j => j.OptionalNameParams, j => j.ProcessesResult);
    public static RpcMethod<EmptyParams, AdminListResult> AdminList { get; } = new("admin.list", j => j.EmptyParams, j => j.AdminListResult);
    public static RpcMethod<EmptyParams, AdminPsResult> AdminPs { get; } = new("admin.ps", j => j.EmptyParams, j => j.AdminPsResult);
    public static RpcMethod<AdminRunParams, AdminRunResult> AdminRun { get; } = new("admin.run", j => j.AdminRunParams, j => j.AdminRunResult);
    public static RpcMethod<EmptyParams, AdminKillResult> AdminKill { get; } = new("admin.kill", j => j.EmptyParams, j => j.AdminKillResult);

    public static RpcNotification<LogLine> LogLineNotification { get; } = new("logs.line", j => j.LogLine);
    public static RpcNotification<LogRotated> LogRotatedNotification { get; } = new("logs.rotated", j => j.LogRotated);
    public static RpcNotification<EventRecord> EventNotification { get; } = new("events.event", j => j.EventRecord);
    public static RpcNotification<StatusResult> StatusNotification { get; } = new("status.changed", j => j.StatusResult);
    public static RpcNotification<ReexecNotice> ReexecNotification { get; } = new("daemon.reexecuting", j => j.ReexecNotice);
}
