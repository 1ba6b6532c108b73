using System.Text.Json.Serialization.Metadata;

namespace ProcessMaster.Protocol;

/// <summary>One JSON-RPC method: its name and the JSON contracts of its params and result.</summary>
public sealed record RpcMethod<TParams, TResult>(string Name, JsonTypeInfo<TParams> Params, JsonTypeInfo<TResult> Result);

/// <summary>A server-to-client notification.</summary>
public sealed record RpcNotification<TParams>(string Name, JsonTypeInfo<TParams> Params);

/// <summary>
/// Every method of the protocol, defined once for the daemon, pmctl and the web console. Properties, not
/// fields: a JSON contract is built (with some reflection) on first use, so pmctl pays only for the
/// method it calls instead of all of them at start-up.
/// </summary>
public static class Methods
{
    private static ProtocolJsonContext Json => ProtocolJsonContext.Default;

    public static RpcMethod<HelloParams, HelloResult> Hello => new("hello", Json.HelloParams, Json.HelloResult);
    public static RpcMethod<OptionalNameParams, StatusResult> Status => new("status", Json.OptionalNameParams, Json.StatusResult);
    public static RpcMethod<EventsParams, EventsResult> Events => new("events", Json.EventsParams, Json.EventsResult);
    public static RpcMethod<LogsParams, LogsResult> Logs => new("logs", Json.LogsParams, Json.LogsResult);
    public static RpcMethod<LogsFollowParams, LogsFollowResult> LogsFollow => new("logs.follow", Json.LogsFollowParams, Json.LogsFollowResult);
    public static RpcMethod<EventsFollowParams, EventsResult> EventsFollow => new("events.follow", Json.EventsFollowParams, Json.EventsResult);
    public static RpcMethod<StatusFollowParams, StatusResult> StatusFollow => new("status.follow", Json.StatusFollowParams, Json.StatusResult);
    public static RpcMethod<TargetParams, OperationResult> Start => new("start", Json.TargetParams, Json.OperationResult);
    public static RpcMethod<TargetParams, OperationResult> Stop => new("stop", Json.TargetParams, Json.OperationResult);
    public static RpcMethod<TargetParams, OperationResult> Restart => new("restart", Json.TargetParams, Json.OperationResult);
    public static RpcMethod<NameParams, UpdateResult> Enable => new("enable", Json.NameParams, Json.UpdateResult);
    public static RpcMethod<NameParams, UpdateResult> Disable => new("disable", Json.NameParams, Json.UpdateResult);
    public static RpcMethod<EmptyParams, UpdateResult> Update => new("update", Json.EmptyParams, Json.UpdateResult);
    public static RpcMethod<EmptyParams, HelloResult> ServerVersion => new("server_version", Json.EmptyParams, Json.HelloResult);
    public static RpcMethod<EmptyParams, ReexecResult> DaemonReexec => new("daemon.reexec", Json.EmptyParams, Json.ReexecResult);
    public static RpcMethod<NameParams, PerfMetrics> PerfMetrics => new("perf_metrics", Json.NameParams, Json.PerfMetrics);
    public static RpcMethod<FlagParams, FlagResult> Flag => new("flag", Json.FlagParams, Json.FlagResult);
    public static RpcMethod<FlagParams, FlagResult> Unflag => new("unflag", Json.FlagParams, Json.FlagResult);
    public static RpcMethod<NameParams, ScheduleResult> Schedule => new("schedule", Json.NameParams, Json.ScheduleResult);
    public static RpcMethod<OptionalNameParams, ProcessesResult> Processes => new("processes", Json.OptionalNameParams, Json.ProcessesResult);
    public static RpcMethod<EmptyParams, AdminListResult> AdminList => new("admin.list", Json.EmptyParams, Json.AdminListResult);
    public static RpcMethod<EmptyParams, AdminPsResult> AdminPs => new("admin.ps", Json.EmptyParams, Json.AdminPsResult);
    public static RpcMethod<AdminRunParams, AdminRunResult> AdminRun => new("admin.run", Json.AdminRunParams, Json.AdminRunResult);
    public static RpcMethod<EmptyParams, AdminKillResult> AdminKill => new("admin.kill", Json.EmptyParams, Json.AdminKillResult);

    public static RpcNotification<LogLine> LogLineNotification => new("logs.line", Json.LogLine);
    public static RpcNotification<LogRotated> LogRotatedNotification => new("logs.rotated", Json.LogRotated);
    public static RpcNotification<EventRecord> EventNotification => new("events.event", Json.EventRecord);
    public static RpcNotification<StatusResult> StatusNotification => new("status.changed", Json.StatusResult);
    public static RpcNotification<ReexecNotice> ReexecNotification => new("daemon.reexecuting", Json.ReexecNotice);
}
