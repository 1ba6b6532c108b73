namespace ProcessMaster.Core.Events;

/// <summary>
/// What of a service's own events is recorded: a streak of the same event is recorded once and then as one
/// line saying how often it repeated (after a quiet second, when another event comes, or once a minute while it
/// goes on); and each service has a budget (<see cref="Burst"/> at once, <see cref="PerSecond"/> a second on
/// average) beyond which its events are counted instead, and the count recorded once it is within its budget
/// again. 100,000 sd_notify datagrams a second then cost a service a handful of lines. Not thread-safe: the
/// event log calls it under its lock.
/// </summary>
internal sealed class ServiceEventGate(TimeProvider time)
{
    public const int Burst = 100;
    public const int PerSecond = 10;

    /// <summary>Services come and go (auto-services are directories): past this many, the idle ones are forgotten.</summary>
    private const int PruneAbove = 4096;

    private static readonly TimeSpan StreakQuiet = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan StreakReport = TimeSpan.FromMinutes(1);

    private readonly Dictionary<string, ServiceBudget> _services = new(StringComparer.Ordinal);

    /// <summary>The services that owe a line (a streak's count, or what their budget held back): what a flush looks at.</summary>
    private readonly HashSet<string> _owing = new(StringComparer.Ordinal);

    /// <summary>Events held back by budgets since the daemon started.</summary>
    public long Dropped { get; private set; }

    /// <summary>True while a streak or a count of held-back events waits to be recorded: <see cref="Flush"/> is due.</summary>
    public bool Pending => _owing.Count > 0;

    private sealed class ServiceBudget(long now)
    {
        public double Tokens = Burst;
        public long Refilled = now;
        public long Dropped;
        public Event? Last;
        public long Repeats;
        public long LastRepeat;
        public long StreakReported = now;
    }

    /// <summary>Adds to <paramref name="output"/> what to record for <paramref name="app"/>'s event (nothing, it, or a summary first).</summary>
    public void Admit(string app, Event e, List<(string App, Event Event)> output)
    {
        var now = time.GetTimestamp();
        if (!_services.TryGetValue(app, out var service))
        {
            if (_services.Count >= PruneAbove)
            {
                PruneIdle(now);
            }

            _services[app] = service = new ServiceBudget(now);
        }

        Refill(service, now);
        Decide(app, service, e, now, output);
        if (service.Repeats > 0 || service.Dropped > 0)
        {
            _owing.Add(app);
        }
        else
        {
            _owing.Remove(app);
        }
    }

    private void Decide(string app, ServiceBudget service, Event e, long now, List<(string App, Event Event)> output)
    {
        if (service.Last == e)
        {
            service.Repeats++;
            service.LastRepeat = now;
            if (time.GetElapsedTime(service.StreakReported, now) >= StreakReport)
            {
                EndStreak(app, service, now, output);
            }

            return;
        }

        EndStreak(app, service, now, output);
        if (service.Tokens < 1)
        {
            service.Dropped++;
            Dropped++;
            return;
        }

        ReportDropped(app, service, output);
        service.Tokens--;
        service.Last = e;
        output.Add((app, e));
    }

    /// <summary>Records what waited: streaks quiet for a second, counts of held-back events of services within their budget again.</summary>
    public void Flush(List<(string App, Event Event)> output)
    {
        var now = time.GetTimestamp();
        foreach (var app in _owing.ToList())
        {
            var service = _services[app];
            if (service.Repeats > 0 && time.GetElapsedTime(service.LastRepeat, now) >= StreakQuiet)
            {
                EndStreak(app, service, now, output);
            }

            Refill(service, now);
            if (service.Dropped > 0 && service.Tokens >= 1)
            {
                ReportDropped(app, service, output);
            }

            if (service.Repeats == 0 && service.Dropped == 0)
            {
                _owing.Remove(app);
            }
        }
    }

    /// <summary>Forgets services whose budget is full again and that owe no line: they start afresh, which is what they have.</summary>
    private void PruneIdle(long now)
    {
        foreach (var (app, service) in _services.ToList())
        {
            Refill(service, now);
            if (service.Tokens >= Burst && service.Repeats == 0 && service.Dropped == 0)
            {
                _services.Remove(app);
            }
        }
    }

    private void Refill(ServiceBudget service, long now)
    {
        var elapsed = time.GetElapsedTime(service.Refilled, now);
        service.Tokens = Math.Min(Burst, service.Tokens + elapsed.TotalSeconds * PerSecond);
        service.Refilled = now;
    }

    private static void EndStreak(string app, ServiceBudget service, long now, List<(string App, Event Event)> output)
    {
        if (service.Repeats > 0 && service.Last is { } last)
        {
            output.Add((app, new Repeated(last, service.Repeats)));
            service.Repeats = 0;
        }

        service.StreakReported = now;
    }

    private static void ReportDropped(string app, ServiceBudget service, List<(string App, Event Event)> output)
    {
        if (service.Dropped == 0)
        {
            return;
        }

        output.Add((app, new EventsHeldBack(service.Dropped, Burst, PerSecond)));
        service.Dropped = 0;
        service.Last = null; // the next event is new, whatever came before the gap
    }
}
