using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Supervision;
using ProcessMaster.Tests.Supervision.Fakes;

namespace ProcessMaster.Tests.Supervision;

/// <summary>
/// No message is silently ignored and no effect silently dropped: every concrete message type has a handler in
/// the machine, every effect type is performed by the supervisor (a new type without one fails here, not in
/// production). The samples are the one list of message and effect types a test needs to know.
/// </summary>
public class TotalDispatchTests
{
    private static readonly OperationWaiter Waiter = new();

    private static readonly ServiceMessage[] Messages =
    [
        new SupervisionStarted(),
        new StartRequest(StartReason.Operator, Waiter: Waiter),
        new StopRequest(StopReason.Operator, Waiter),
        new RestartRequest(Waiter: Waiter),
        new SignalRequest(1, false, Waiter),
        new MainSpawned(100),
        new SpawnFailed("no"),
        new ExecCompleted(100, null),
        new MainExited(100, ExitStatus.Exited(0)),
        new CgroupChanged(),
        new TimerFired(1),
        new StopCommandSpawned(101),
        new StopCommandFailed("no"),
        new StopCommandExited(101, ExitStatus.Exited(0)),
        new ScheduleTimerFired(1),
        new DefinitionChanged(Definitions.Service(), new Reply<ReloadAction>()),
        new DependencyChanged("db", new DependencyStatus(ServiceState.Running, true, true, 1, 1)),
        new ProbeDue(ProbeKind.Readiness, 1),
        new ProbeCompleted(ProbeKind.Liveness, 1, true, "fine"),
        new Notified(new NotifyMessage(true, false, false, "up", null)),
    ];

    private static readonly ServiceEffect[] Effects =
    [
        new SpawnMain(), new SpawnStopCommand(), new SignalAll(15), new SignalMain(100, 15), new KillMain(100), new KillCgroup(), new WatchMain(100),
        new ReportLeftovers(), new ArmTimer(TimeSpan.FromSeconds(1), 1), new CancelTimer(), new ArmScheduleTimer(TimeSpan.FromSeconds(1), 1),
        new CancelScheduleTimer(), new CompleteWaiter(new OperationWaiter(), OperationOutcome.Success("done")),
        new CompleteReload(new Reply<ReloadAction>(), ReloadAction.Updated), new FailStuckStop([]), new RecordEvent(new Core.Events.DependenciesMet()),
        new PersistOperatorStop(false), new ArmProbeTimer(ProbeKind.Readiness, TimeSpan.FromSeconds(1), 1), new CancelProbeTimers(),
        new RunProbe(ProbeKind.Readiness, 1), new TransitionUndone(new CgroupChanged(), ServiceState.Running, "injected", 1, null),
    ];

    /// <summary>Every concrete type of <typeparamref name="T"/>'s closed hierarchy; the supervisor loop's own messages aside.</summary>
    private static IEnumerable<Type> Concrete<T>() => typeof(T).Assembly.GetTypes()
        .Where(t => t.IsSubclassOf(typeof(T)) && !t.IsAbstract && t.DeclaringType != typeof(ServiceSupervisor));

    [Fact]
    public void TheSamples_CoverEveryMessageAndEffectType()
    {
        Assert.Equal(Concrete<ServiceMessage>().Select(t => t.Name).Order(), Messages.Select(m => m.GetType().Name).Order());
        Assert.Equal(Concrete<ServiceEffect>().Select(t => t.Name).Order(), Effects.Select(e => e.GetType().Name).Order());
    }

    public static TheoryData<string> MessageNames => [.. Messages.Select(m => m.GetType().Name)];

    [Theory]
    [MemberData(nameof(MessageNames))]
    public void EveryMessage_HasAHandler_InEveryState(string name)
    {
        var message = Messages.Single(m => m.GetType().Name == name);
        foreach (var state in Enum.GetValues<ServiceState>())
        {
            var machine = new ServiceStateMachine(Definitions.Service(), new ServiceMachineState { State = state, Supervised = true });
            var effects = machine.Handle(message, new Observation(TimeSpan.FromHours(1), DateTimeOffset.UnixEpoch, Populated: false));
            Assert.Empty(effects.OfType<TransitionUndone>().Select(f => $"{state}: {f.Error}"));
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task EveryEffect_IsPerformedByTheSupervisor()
    {
        var host = new FakeHost();
        await using var supervisor = new ServiceSupervisor(Definitions.Service(), host.Context);
        // Effects are performed on the supervisor's loop: it is held between two messages while the test performs them.
        var resume = new TaskCompletionSource();
        await supervisor.PauseAsync(resume.Task);
        foreach (var effect in Effects)
        {
            var error = await Record.ExceptionAsync(() => supervisor.ExecuteAsync(effect));
            Assert.False(error is System.Diagnostics.UnreachableException, $"{effect.GetType().Name}: {error?.Message}");
        }

        resume.SetResult();
    }
}
