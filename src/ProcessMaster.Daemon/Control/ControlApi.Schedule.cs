using ProcessMaster.Core.Scheduling;
using ProcessMaster.Protocol;

namespace ProcessMaster.Daemon.Control;

/// <summary><c>schedule</c>: a cron job's expression, zone, bounds and next five runs (the console's details).</summary>
internal sealed partial class ControlApi
{
    private ScheduleResult Schedule(string name)
    {
        var definition = manager.Find(name).Snapshot.Definition;
        if (definition.Schedule is not { } schedule)
        {
            throw new RpcException(RpcErrorCodes.OperationFailed, $"{name} is not a cron job (it has no process.schedule)");
        }

        return new ScheduleResult(name, schedule.Cron.Text, schedule.Cron.Zone.Id, schedule.NotBefore, schedule.NotAfter,
            schedule.MaxTimePerRun?.TotalSeconds, CronOccurrences.Upcoming(schedule, manager.Context.Time.GetUtcNow(), 5));
    }
}
