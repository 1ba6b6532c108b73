using ProcessMaster.Core.Events;
using ProcessMaster.Core.Scheduling;

namespace ProcessMaster.Core.Supervision;

/// <summary>
/// A cron job's schedule: one timer armed for the next tick within not_before/not_after. Long waits are
/// cut into one-hour steps, so wall-clock changes (NTP, DST) are picked up without polling; a tick runs
/// only once the wall clock has reached it.
/// </summary>
public sealed partial class ServiceStateMachine
{
    /// <summary>The longest the schedule timer waits before the next tick is computed again.</summary>
    public static readonly TimeSpan MaxScheduleWait = TimeSpan.FromHours(1);

    /// <summary>Computes the next tick and arms the schedule timer (or cancels it: no schedule, halted, no future tick).</summary>
    private void ArmSchedule()
    {
        var hadTimer = _s.Schedule.NextRun is not null;
        _s = _s with { Schedule = _s.Schedule with { NextRun = null, Generation = _s.Schedule.Generation + 1 } };
        if (Definition.Schedule is not { } schedule || _s.Schedule.Halted)
        {
            if (hadTimer)
            {
                Effect(new CancelScheduleTimer());
            }

            return;
        }

        var next = CronOccurrences.Next(schedule, _at.Wall, _s.Schedule.LastFired);
        if (next is not { } due)
        {
            if (hadTimer)
            {
                Effect(new CancelScheduleTimer());
            }

            if (!_s.Schedule.EndReported)
            {
                _s = _s with { Schedule = _s.Schedule with { EndReported = true } };
                Record(new ScheduleEnded(schedule.NotAfter, schedule.NotAfter <= _at.Wall));
            }

            return;
        }

        _s = _s with { Schedule = _s.Schedule with { NextRun = due } };
        var wait = due - _at.Wall;
        Effect(new ArmScheduleTimer(wait > MaxScheduleWait ? MaxScheduleWait : wait < TimeSpan.Zero ? TimeSpan.Zero : wait, _s.Schedule.Generation));
    }

    /// <summary>No further runs (the job is removed or the daemon shuts down).</summary>
    private void HaltSchedule()
    {
        _s = _s with { Schedule = _s.Schedule with { Halted = true } };
        ArmSchedule();
    }

    private void OnScheduleTimer(long generation)
    {
        if (generation != _s.Schedule.Generation || _s.Schedule.NextRun is not { } due)
        {
            return; // re-armed or cancelled meanwhile
        }

        if (_at.Wall >= due)
        {
            _s = _s with { Schedule = _s.Schedule with { LastFired = due } };
            OnScheduledRun(due);
        }

        ArmSchedule();
    }

    private void OnScheduledRun(DateTimeOffset tick)
    {
        if (_s.State.IsActive())
        {
            Record(new TickSkipped(tick, TickSkip.StillRunning, _s.State));
        }
        else if (HasProcesses)
        {
            Record(new TickSkipped(tick, TickSkip.ProcessesLeft, _s.State));
        }
        else if (!Definition.Enabled)
        {
            Record(new TickSkipped(tick, TickSkip.Disabled, _s.State));
        }
        else
        {
            Record(new ScheduleTick(tick));
            EnterStarting(StartReason.Scheduled);
        }
    }
}
