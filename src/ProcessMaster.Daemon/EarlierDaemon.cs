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
            events.Record(null, new Notice("adopt", error));
        }

        var earlier = records.EarlierActive;
        if (holder.Recovered is { } pipes)
        {
            events.Record(null, new PipesRecovered(holder.RecoveredFrom ?? "the pipe holder", pipes.Count, earlier));
        }
        else if (earlier > 0)
        {
            // Nothing reads the pipes those processes write to any more: adopting them would leave them to die of SIGPIPE.
            records.DiscardEarlier();
            events.Record(null, new PipesLost(earlier));
        }
    }
}
