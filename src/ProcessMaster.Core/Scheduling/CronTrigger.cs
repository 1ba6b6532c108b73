using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Events;
using ProcessMaster.Core.Faults;
using ProcessMaster.Core.Supervision;

namespace ProcessMaster.Core.Scheduling;

/// <summary>
/// Fires a cron job's ticks: one timer armed for the next occurrence (within not_before/not_after), which
/// posts a <see cref="ScheduledRun"/> to the job's supervisor and re-arms. Long waits are cut into one-hour
/// steps, so wall-clock changes (NTP, DST) are picked up without polling.
/// </summary>
public sealed class CronTrigger : IDisposable
{
    private static readonly TimeSpan MaxWait = TimeSpan.FromHours(1);

    private readonly ServiceSupervisor _supervisor;
    private readonly TimeProvider _time;
    private readonly EventLog _events;
    private readonly Lock _lock = new();
    private ScheduleSettings _schedule;
    private ITimer? _timer;
    private DateTimeOffset? _lastFired;
    private bool _reportedEnd;
    private bool _disposed;

    public CronTrigger(ServiceSupervisor supervisor, ScheduleSettings schedule, TimeProvider time, EventLog events)
    {
        _supervisor = supervisor;
        _schedule = schedule;
        _time = time;
        _events = events;
        Arm();
    }

    /// <summary>Takes a reloaded schedule and re-arms.</summary>
    public void Update(ScheduleSettings schedule)
    {
        lock (_lock)
        {
            _schedule = schedule;
            _reportedEnd = false;
        }

        Arm();
    }

    /// <summary>Computes the next tick and arms the timer.</summary>
    private void Arm()
    {
        lock (_lock)
        {
            _timer?.Dispose();
            _timer = null;
            if (_disposed)
            {
                return;
            }

            var schedule = _schedule;
            var now = _time.GetUtcNow();
            var next = NextOccurrence(schedule, now, _lastFired);
            _supervisor.NextRun = next;
            if (next is null)
            {
                if (!_reportedEnd)
                {
                    _reportedEnd = true;
                    _events.Record(_supervisor.Name, "schedule",
                        schedule.NotAfter is { } end && end <= now
                            ? $"no further runs: not_after {end.ToLocalTime():yyyy-MM-dd HH:mm:ss} has passed"
                            : "no further runs: the schedule has no future occurrence");
                }

                return;
            }

            var wait = next.Value - now;
            var checkpoint = wait > MaxWait;
            _timer = _time.CreateTimer(_ => Fire(checkpoint ? null : next), null, checkpoint ? MaxWait : wait, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>The first occurrence after <paramref name="now"/> (and after the last fired tick) within the bounds.</summary>
    public static DateTimeOffset? NextOccurrence(ScheduleSettings schedule, DateTimeOffset now, DateTimeOffset? lastFired)
    {
        var from = lastFired is { } last && last > now ? last : now;
        if (schedule.NotBefore is { } notBefore && notBefore > from)
        {
            from = notBefore.AddTicks(-1);
        }

        var next = schedule.Cron.Next(from);
        return next is { } n && schedule.NotAfter is { } notAfter && n > notAfter ? null : next;
    }

    /// <summary>The timer's callback: whatever fails in it is reported, and the schedule is armed again.</summary>
    private void Fire(DateTimeOffset? tick)
    {
        Background.Run("cron tick", () =>
        {
            Failpoints.Hit("cron");
            if (tick is { } due)
            {
                lock (_lock)
                {
                    _lastFired = due;
                }

                _supervisor.Post(new ScheduledRun(due));
            }
        }, Report);
        Background.Run("arming the next cron tick", Arm, Report);
    }

    private void Report(string message) => _events.Record(_supervisor.Name, "schedule", message);

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _timer?.Dispose();
        }
    }
}
