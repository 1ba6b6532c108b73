using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Interop;

namespace ProcessMaster.Core.Supervision;

/// <summary>An immutable view of one service, published by its supervisor after every message that changed it.</summary>
/// <param name="Seq">Counts the snapshots its supervisor published.</param>
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
    TimeSpan? LastRunDuration,
    DateTimeOffset? NextRun,
    bool Ready,
    string? Health,
    string? WaitingFor,
    string? NotifyStatus,
    long Runs,
    long Seq)
{
    public string Name => Definition.Name;

    /// <summary>What a dependent needs to know of this service.</summary>
    public DependencyStatus AsDependency => new(State, Ready, Definition.Enabled, Runs, Seq);
}
