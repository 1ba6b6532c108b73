namespace ProcessMaster.Core.Supervision.Ports;

/// <summary>A service's supervision state as last saved, with the fingerprint of the definition it ran.</summary>
public sealed record SavedService(string Fingerprint, ServiceMachineState State);

/// <summary>
/// Where each service's machine state is kept while the daemon runs, so that the next daemon (after a
/// crash or SIGKILL) can adopt what still runs, with its pids, uptime and restart count.
/// </summary>
public interface ISupervisionRecords
{
    /// <summary>What an earlier daemon saved for <paramref name="app"/>, if it can be resumed.</summary>
    SavedService? Saved(string app);

    /// <summary>Keeps <paramref name="record"/>; writes may be coalesced.</summary>
    void Save(string app, SavedService record);

    void Forget(string app);

    /// <summary>
    /// Drops what an earlier daemon saved for services not in <paramref name="configured"/>: boot has emptied
    /// their groups, and a service of that name configured later must start afresh, not adopt.
    /// </summary>
    void Retain(IReadOnlySet<string> configured);
}
