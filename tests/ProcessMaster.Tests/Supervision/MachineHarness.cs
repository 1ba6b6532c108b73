using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Configuration.Values;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Supervision;

namespace ProcessMaster.Tests.Supervision;

/// <summary>Drives a <see cref="ServiceStateMachine"/> with a fake clock and records every effect.</summary>
internal sealed class MachineHarness
{
    private TimeSpan _now = TimeSpan.FromHours(1);
    private bool _populated;

    /// <param name="resumed">A saved state to resume from, as a new daemon does.</param>
    public MachineHarness(ServiceDefinition? definition = null, bool stoppedByOperator = false, ServiceMachineState? resumed = null)
    {
        Machine = resumed is null
            ? new ServiceStateMachine(definition ?? Definitions.Service(), stoppedByOperator)
            : new ServiceStateMachine(definition ?? Definitions.Service(), ServiceStateMachine.Resumable(resumed, stoppedByOperator));
    }

    public ServiceStateMachine Machine { get; }

    public List<ServiceEffect> Effects { get; } = [];

    public ServiceState State => Machine.State;

    /// <summary>The generation of the timer most recently armed.</summary>
    public long TimerGeneration => Effects.OfType<ArmTimer>().LastOrDefault()?.Generation ?? -1;

    public TimeSpan? ArmedDelay => Effects.OfType<ArmTimer>().LastOrDefault()?.Delay;

    private readonly Dictionary<OperationWaiter, OperationOutcome> _results = [];

    public IReadOnlyList<ServiceEffect> Send(ServiceMessage message)
    {
        var effects = Machine.Handle(message, new Observation(_now, DateTimeOffset.UnixEpoch + _now, _populated));
        Effects.AddRange(effects);
        foreach (var complete in effects.OfType<CompleteWaiter>())
        {
            Assert.True(_results.TryAdd(complete.Waiter, complete.Result), "a waiter was completed twice");
        }

        return effects;
    }

    /// <summary>The result the machine completed <paramref name="waiter"/> with, or null while pending.</summary>
    public OperationOutcome? Result(OperationWaiter waiter) => _results.GetValueOrDefault(waiter);

    public void Advance(TimeSpan by) => _now += by;

    /// <summary>What the cgroup's populated flag will read with the next message.</summary>
    public bool Populated
    {
        set => _populated = value;
    }

    /// <summary>Fires the last armed timer after its delay.</summary>
    public IReadOnlyList<ServiceEffect> FireTimer()
    {
        var armed = Effects.OfType<ArmTimer>().Last();
        Advance(armed.Delay);
        return Send(new TimerFired(armed.Generation));
    }

    public OperationWaiter Start(bool force = false, StartReason reason = StartReason.Operator)
    {
        var waiter = new OperationWaiter();
        Send(new StartRequest(reason, force, waiter));
        return waiter;
    }

    public OperationWaiter Stop(StopReason reason = StopReason.Operator)
    {
        var waiter = new OperationWaiter();
        Send(new StopRequest(reason, waiter));
        return waiter;
    }

    /// <summary>Start → spawn → exec: the service is RUNNING with main pid <paramref name="pid"/>.</summary>
    public OperationWaiter StartRunning(int pid = 100)
    {
        var waiter = Start();
        Spawned(pid);
        return waiter;
    }

    public void Spawned(int pid)
    {
        Send(new MainSpawned(pid));
        Populated = true;
        Send(new ExecCompleted(pid, null));
    }

    /// <summary>The main process exits and the cgroup empties.</summary>
    public void MainDies(int pid, ExitStatus status)
    {
        Populated = false;
        Send(new MainExited(pid, status));
    }

    public void CgroupEmpties()
    {
        Populated = false;
        Send(new CgroupChanged());
    }

    /// <summary>Fires the last armed schedule timer after its delay (the wall clock moves with it).</summary>
    public IReadOnlyList<ServiceEffect> FireScheduleTimer()
    {
        var armed = Effects.OfType<ArmScheduleTimer>().Last();
        Advance(armed.Delay);
        return Send(new ScheduleTimerFired(armed.Generation));
    }

    public IEnumerable<string> Events => Recorded.Select(e => e.Render());

    public IEnumerable<Core.Events.Event> Recorded => Effects.OfType<RecordEvent>().Select(e => e.Event);

    public int Count<T>() where T : ServiceEffect => Effects.OfType<T>().Count();

    public void ClearEffects() => Effects.Clear();
}

internal static class Definitions
{
    public static ServiceDefinition Service(RestartSettings? restart = null, bool enabled = true,
        EquatableArray<string>? stopCommand = null, TimeSpan? grace = null) => new()
    {
        Name = "web",
        WorkingDirectory = "/srv/web",
        Process = new ProcessSettings(new(["/bin/web"]), 15, stopCommand, grace ?? TimeSpan.FromSeconds(5),
            null, null, EquatableArray<EnvironmentVariable>.Empty, false),
        Logs = new LogSettings(null, null, RotationMode.Size, 1, 1, RotationFrequency.None, null, false, null, null, EquatableArray<string>.Empty),
        Resources = ResourceSettings.Unlimited,
        Restart = restart ?? new RestartSettings(RestartPolicy.Always, TimeSpan.FromSeconds(1), 3, TimeSpan.FromMinutes(1)),
        Enabled = enabled,
    };

    public static ServiceDefinition Cron(TimeSpan? maxTime = null) => Service() with
    {
        Name = "job",
        Restart = null,
        Schedule = new ScheduleSettings(CronSchedule.Parse("* * * * *", TimeZoneInfo.Utc), null, null, maxTime),
    };
}
