using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Interop;

namespace ProcessMaster.Core.Supervision;

/// <summary>An immutable view of one service, published by its supervisor after every message.</summary>
public sealed record ServiceSnapshot(
    ServiceDefinition Definition,
    ServiceState State,
    DateTimeOffset? StateSince,
    int? MainPid,
    ExitStatus? LastExit,
    string? LastError,
    DateTimeOffset? LastStartAttempt,
    int Restarts,
    bool StoppedByOperator,
    bool ForcedWhileDisabled,
    bool LastRunOvertime,
    DateTimeOffset? NextRun)
{
    public string Name => Definition.Name;
}
