using System.Text.Json.Serialization.Metadata;

namespace ProcessMaster.Protocol;

/// <summary>One JSON-RPC method: its name and the JSON contracts of its params and result.</summary>
public sealed record RpcMethod<TParams, TResult>(string Name, JsonTypeInfo<TParams> Params, JsonTypeInfo<TResult> Result);

/// <summary>A server-to-client notification.</summary>
public sealed record RpcNotification<TParams>(string Name, JsonTypeInfo<TParams> Params);

/// <summary>Every method of the protocol, defined once for the daemon, pmctl and the web console.</summary>
public static class Methods
{
    private static ProtocolJsonContext Json => ProtocolJsonContext.Default;

    public static readonly RpcMethod<HelloParams, HelloResult> Hello = new("hello", Json.HelloParams, Json.HelloResult);
    public static readonly RpcMethod<OptionalNameParams, StatusResult> Status = new("status", Json.OptionalNameParams, Json.StatusResult);
    public static readonly RpcMethod<EventsParams, EventsResult> Events = new("events", Json.EventsParams, Json.EventsResult);
    public static readonly RpcMethod<LogsParams, LogsResult> Logs = new("logs", Json.LogsParams, Json.LogsResult);
    public static readonly RpcMethod<LogsFollowParams, LogsFollowResult> LogsFollow = new("logs.follow", Json.LogsFollowParams, Json.LogsFollowResult);
    public static readonly RpcMethod<EventsFollowParams, EventsResult> EventsFollow = new("events.follow", Json.EventsFollowParams, Json.EventsResult);
    public static readonly RpcMethod<TargetParams, OperationResult> Start = new("start", Json.TargetParams, Json.OperationResult);
    public static readonly RpcMethod<TargetParams, OperationResult> Stop = new("stop", Json.TargetParams, Json.OperationResult);
    public static readonly RpcMethod<TargetParams, OperationResult> Restart = new("restart", Json.TargetParams, Json.OperationResult);
    public static readonly RpcMethod<NameParams, UpdateResult> Enable = new("enable", Json.NameParams, Json.UpdateResult);
    public static readonly RpcMethod<NameParams, UpdateResult> Disable = new("disable", Json.NameParams, Json.UpdateResult);
    public static readonly RpcMethod<EmptyParams, UpdateResult> Update = new("update", Json.EmptyParams, Json.UpdateResult);
    public static readonly RpcMethod<EmptyParams, HelloResult> ServerVersion = new("server_version", Json.EmptyParams, Json.HelloResult);
    public static readonly RpcMethod<NameParams, PerfMetrics> PerfMetrics = new("perf_metrics", Json.NameParams, Json.PerfMetrics);
    public static readonly RpcMethod<EmptyParams, AdminListResult> AdminList = new("admin.list", Json.EmptyParams, Json.AdminListResult);
    public static readonly RpcMethod<EmptyParams, AdminPsResult> AdminPs = new("admin.ps", Json.EmptyParams, Json.AdminPsResult);
    public static readonly RpcMethod<AdminRunParams, AdminRunResult> AdminRun = new("admin.run", Json.AdminRunParams, Json.AdminRunResult);
    public static readonly RpcMethod<EmptyParams, AdminKillResult> AdminKill = new("admin.kill", Json.EmptyParams, Json.AdminKillResult);

    public static readonly RpcNotification<LogLine> LogLineNotification = new("logs.line", Json.LogLine);
    public static readonly RpcNotification<LogRotated> LogRotatedNotification = new("logs.rotated", Json.LogRotated);
    public static readonly RpcNotification<EventRecord> EventNotification = new("events.event", Json.EventRecord);
}
