using ProcessMaster.Core.Events;
using ProcessMaster.Core.Processes.Holder;
using ProcessMaster.Core.State;
using ProcessMaster.Daemon.Logging;

namespace ProcessMaster.Daemon;

/// <summary>Says at boot what this daemon found of the one before it, and whether it can adopt its services.</summary>
internal static class EarlierDaemon
{
    public static void Report(PipeHolderClient holder, SupervisionRecords records, EventLog events, DaemonLog log)
    {
        log.Write("boot", null, $"daemon generation {records.Generation} since the host booted; pipe holder pid {holder.HolderPid}");
        if (records.LoadError is { } error)
        {
            events.Record(null, "adopt", error);
        }

        var earlier = records.EarlierActive;
        if (holder.Recovered is { } pipes)
        {
            events.Record(null, "adopt", $"{holder.RecoveredFrom} kept {pipes.Count} output pipe(s); adopting what still runs of {earlier} service(s)");
        }
        else if (earlier > 0)
        {
            // Nothing reads the pipes those processes write to any more: adopting them would leave them to die of SIGPIPE.
            records.DiscardEarlier();
            events.Record(null, "adopt", $"no pipe holder was running (it ended with the earlier daemon) and nothing else kept the output pipes of {earlier} service(s): what they left is killed and they start fresh");
        }
    }
}
