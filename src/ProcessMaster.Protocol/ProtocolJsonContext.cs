using System.Text.Json.Serialization;

namespace ProcessMaster.Protocol;

/// <summary>Source-generated JSON for every protocol type (NativeAOT: no reflection), snake_case names.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    RespectNullableAnnotations = true,
    AllowTrailingCommas = false,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(HelloParams))]
[JsonSerializable(typeof(HelloResult))]
[JsonSerializable(typeof(NameParams))]
[JsonSerializable(typeof(OptionalNameParams))]
[JsonSerializable(typeof(StatusResult))]
[JsonSerializable(typeof(EventsParams))]
[JsonSerializable(typeof(EventsResult))]
[JsonSerializable(typeof(EventRecord))]
[JsonSerializable(typeof(TargetParams))]
[JsonSerializable(typeof(SignalParams))]
[JsonSerializable(typeof(OperationResult))]
[JsonSerializable(typeof(LogsParams))]
[JsonSerializable(typeof(LogsResult))]
[JsonSerializable(typeof(LogsFollowParams))]
[JsonSerializable(typeof(LogsFollowResult))]
[JsonSerializable(typeof(LogTail))]
[JsonSerializable(typeof(LogLine))]
[JsonSerializable(typeof(LogRotated))]
[JsonSerializable(typeof(EventsFollowParams))]
[JsonSerializable(typeof(StatusFollowParams))]
[JsonSerializable(typeof(MessageResult))]
[JsonSerializable(typeof(ReexecResult))]
[JsonSerializable(typeof(ReexecNotice))]
[JsonSerializable(typeof(UpdateResult))]
[JsonSerializable(typeof(PerfMetrics))]
[JsonSerializable(typeof(ProcessesResult))]
[JsonSerializable(typeof(ScheduleResult))]
[JsonSerializable(typeof(FlagParams))]
[JsonSerializable(typeof(FlagResult))]
[JsonSerializable(typeof(AdminListResult))]
[JsonSerializable(typeof(AdminPsResult))]
[JsonSerializable(typeof(AdminRunParams))]
[JsonSerializable(typeof(AdminRunResult))]
[JsonSerializable(typeof(AdminKillResult))]
[JsonSerializable(typeof(EmptyParams))]
[JsonSerializable(typeof(CoBuildMismatch))]
[JsonSerializable(typeof(BuildIdentity))]
public sealed partial class ProtocolJsonContext : JsonSerializerContext;
