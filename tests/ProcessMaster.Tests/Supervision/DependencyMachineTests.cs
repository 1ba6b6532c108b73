using ProcessMaster.Core.Events;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Supervision;

namespace ProcessMaster.Tests.Supervision;

/// <summary>Start order, readiness and liveness, decided by the machine alone.</summary>
public class DependencyMachineTests
{
    private long _seq;

    private static ServiceDefinition Web(params Dependency[] dependencies) =>
        Definitions.Service() with { DependsOn = new(dependencies) };

    private static Dependency On(string name, DependencyCondition condition = DependencyCondition.Started, TimeSpan? timeout = null, bool restart = false) =>
        new(name, condition, timeout, restart);

    private DependencyChanged Status(string name, ServiceState state, bool ready = false, bool enabled = true, long runs = 1) =>
        new(name, new DependencyStatus(state, ready, enabled, runs, ++_seq));

    private static readonly ProbeSettings Tcp = new(null, null, new TcpProbe("127.0.0.1", 1), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1), 2, 3);

    [Fact]
    public void AStart_WaitsForEachDependencysCondition_ThenStarts()
    {
        var h = new MachineHarness(Web(On("db", DependencyCondition.Healthy), On("migrate", DependencyCondition.CompletedSuccessfully)));
        var operatorStart = h.Start();
        Assert.Equal(ServiceState.Waiting, h.State);
        Assert.Equal(0, h.Count<SpawnMain>());
        Assert.Equal("db (healthy), migrate (completed_successfully)", ServiceStateMachine.WaitingFor(h.Machine.Definition, h.Machine.Current));

        h.Send(Status("db", ServiceState.Running));
        h.Send(Status("migrate", ServiceState.Exited));
        Assert.Equal(ServiceState.Waiting, h.State); // running is not healthy
        Assert.Equal("db (healthy)", ServiceStateMachine.WaitingFor(h.Machine.Definition, h.Machine.Current));
        Assert.Null(h.Result(operatorStart)); // the operator's start is answered once it runs

        h.Send(Status("db", ServiceState.Running, ready: true));
        Assert.Equal(ServiceState.Starting, h.State);
        h.Spawned(100);
        Assert.True(h.Result(operatorStart)!.Ok);
    }

    [Fact]
    public void ABootStart_IsAnsweredWhileWaiting_SoBootNeverHangs()
    {
        var h = new MachineHarness(Web(On("db")));
        var boot = h.Start(reason: StartReason.Boot);
        Assert.Equal(ServiceState.Waiting, h.State);
        Assert.Equal((OutcomeCode.Waiting, "waiting for db (started)"), (h.Result(boot)!.Code, h.Result(boot)!.Message));
    }

    [Fact]
    public void NoDeps_StartsAtOnce()
    {
        var h = new MachineHarness(Web(On("db")));
        h.Send(new StartRequest(StartReason.Operator, IgnoreDependencies: true));
        Assert.Equal(ServiceState.Starting, h.State);
    }

    [Fact]
    public void ADependencyThatFailedOrIsDisabled_FailsTheWait_NamingIt()
    {
        var failed = new MachineHarness(Web(On("db")));
        var waiter = failed.Start();
        failed.Send(Status("db", ServiceState.Failed));
        Assert.Equal(ServiceState.Failed, failed.State);
        Assert.Equal(OperationOutcome.Failure("dependency db failed"), failed.Result(waiter));

        var disabled = new MachineHarness(Web(On("db")));
        disabled.Start();
        disabled.Send(Status("db", ServiceState.Stopped, enabled: false));
        Assert.Equal("dependency db is disabled", disabled.Machine.Current.LastError);
    }

    [Fact]
    public void ATimeout_FailsTheWaitOnceItPassed_AndNotBefore()
    {
        var h = new MachineHarness(Web(On("db", timeout: TimeSpan.FromSeconds(60)), On("cache")));
        h.Start();
        Assert.Equal(TimeSpan.FromSeconds(60), h.ArmedDelay);
        h.Advance(TimeSpan.FromSeconds(20));
        h.Send(Status("cache", ServiceState.Running)); // re-armed for what is left
        Assert.Equal(TimeSpan.FromSeconds(40), h.ArmedDelay);
        h.FireTimer();
        Assert.Equal(ServiceState.Failed, h.State);
        Assert.Equal("timed out after 1m waiting for db (started)", h.Machine.Current.LastError);
    }

    [Fact]
    public void AStopWhileWaiting_StopsIt_AndAStaleStatusIsIgnored()
    {
        var h = new MachineHarness(Web(On("db")));
        var start = h.Start();
        var newer = Status("db", ServiceState.Stopped);
        var older = new DependencyChanged("db", newer.Status with { State = ServiceState.Running, Seq = newer.Status.Seq - 1 });
        h.Send(newer);
        h.Send(older);
        Assert.Equal(ServiceState.Waiting, h.State);

        var stop = h.Stop();
        Assert.Equal(ServiceState.Stopped, h.State);
        Assert.True(h.Result(stop)!.Ok);
        Assert.False(h.Result(start)!.Ok);
    }

    [Fact]
    public void ACrashedService_WaitsForItsDependencyBeforeItsRestart()
    {
        var h = new MachineHarness(Web(On("db")));
        h.Send(Status("db", ServiceState.Running));
        h.StartRunning();
        h.Send(Status("db", ServiceState.Backoff, runs: 1));
        h.MainDies(100, ExitStatus.Exited(1));
        Assert.Equal(ServiceState.Backoff, h.State);
        h.FireTimer();
        Assert.Equal(ServiceState.Waiting, h.State);
        h.Send(Status("db", ServiceState.Running, runs: 2));
        Assert.Equal(ServiceState.Starting, h.State);
    }

    [Fact]
    public void ARestartEdge_RestartsTheDependentOnceTheRestartedDependencyMeetsItsConditionAgain()
    {
        var h = new MachineHarness(Web(On("db", DependencyCondition.Healthy, restart: true), On("cache")));
        h.Send(Status("db", ServiceState.Running, ready: true, runs: 1));
        h.Send(Status("cache", ServiceState.Running));
        h.StartRunning();
        h.ClearEffects();

        h.Send(Status("db", ServiceState.Backoff, runs: 1));
        h.Send(Status("db", ServiceState.Running, ready: false, runs: 2));
        Assert.Equal(ServiceState.Running, h.State); // not healthy again yet
        h.Send(Status("cache", ServiceState.Running, runs: 5)); // no restart edge
        Assert.Equal(ServiceState.Running, h.State);

        h.Send(Status("db", ServiceState.Running, ready: true, runs: 2));
        Assert.Equal(ServiceState.Stopping, h.State);
        Assert.Contains(new DependencyRestarted("db", "healthy"), h.Recorded);
        h.MainDies(100, ExitStatus.Killed(15));
        Assert.Equal(ServiceState.Starting, h.State);
        h.Spawned(101);
        h.ClearEffects();
        h.Send(Status("db", ServiceState.Running, ready: true, runs: 2)); // the same run of db: nothing more
        Assert.Equal(ServiceState.Running, h.State);
    }

    [Fact]
    public void Readiness_PassesAfterItsSuccessThreshold_AndFailsAfterItsFailureThreshold()
    {
        var h = new MachineHarness(Definitions.Service() with { Readiness = Tcp });
        h.StartRunning();
        var first = h.Effects.OfType<ArmProbeTimer>().Single();
        Assert.Equal((ProbeKind.Readiness, TimeSpan.FromSeconds(1)), (first.Kind, first.Delay));
        Assert.Equal("starting", ServiceStateMachine.Health(h.Machine.Definition, h.Machine.Current));

        var generation = first.Generation;
        Assert.Single(h.Send(new ProbeDue(ProbeKind.Readiness, generation)).OfType<RunProbe>());
        h.Send(new ProbeCompleted(ProbeKind.Readiness, generation, true, "ok"));
        Assert.False(h.Machine.Current.Probes.Ready); // success_threshold 2
        h.Send(new ProbeCompleted(ProbeKind.Readiness, generation, true, "ok"));
        Assert.True(h.Machine.Current.Probes.Ready);
        Assert.Equal("healthy", ServiceStateMachine.Health(h.Machine.Definition, h.Machine.Current));
        Assert.Equal(TimeSpan.FromSeconds(10), h.Effects.OfType<ArmProbeTimer>().Last().Delay);

        for (var i = 0; i < 2; i++)
        {
            h.Send(new ProbeCompleted(ProbeKind.Readiness, generation, false, "refused"));
        }

        Assert.True(h.Machine.Current.Probes.Ready); // failure_threshold 3
        h.Send(new ProbeCompleted(ProbeKind.Readiness, generation, false, "refused"));
        Assert.False(h.Machine.Current.Probes.Ready);
        Assert.Equal("unhealthy", ServiceStateMachine.Health(h.Machine.Definition, h.Machine.Current));
        Assert.Contains(new ProbeChanged(ProbeKind.Readiness, ProbeVerdict.Unhealthy, "tcp 127.0.0.1:1", 3, "refused"), h.Recorded);
    }

    [Fact]
    public void AServiceThatIsNeverReady_SaysWhyOncePerStreakOfFailures()
    {
        var h = new MachineHarness(Definitions.Service() with { Readiness = Tcp });
        h.StartRunning();
        var generation = h.Effects.OfType<ArmProbeTimer>().Single().Generation;
        for (var i = 0; i < 7; i++)
        {
            h.Send(new ProbeCompleted(ProbeKind.Readiness, generation, false, "refused"));
        }

        Assert.Equal("starting", ServiceStateMachine.Health(h.Machine.Definition, h.Machine.Current));
        Assert.Single(h.Recorded, e => e == new ProbeChanged(ProbeKind.Readiness, ProbeVerdict.NotReady, "tcp 127.0.0.1:1", 3, "refused"));

        h.Send(new ProbeCompleted(ProbeKind.Readiness, generation, true, "ok"));
        for (var i = 0; i < 3; i++)
        {
            h.Send(new ProbeCompleted(ProbeKind.Readiness, generation, false, "refused"));
        }

        Assert.Equal(2, h.Recorded.OfType<ProbeChanged>().Count(p => p.Verdict == ProbeVerdict.NotReady));
    }

    [Fact]
    public void ALivenessFailure_StopsTheService_AndTheRestartPolicyTakesItAsACrash()
    {
        var h = new MachineHarness(Definitions.Service() with { Liveness = Tcp with { FailureThreshold = 2 } });
        h.StartRunning();
        var generation = h.Effects.OfType<ArmProbeTimer>().Single().Generation;
        h.Send(new ProbeCompleted(ProbeKind.Liveness, generation, false, "timed out"));
        Assert.Equal(ServiceState.Running, h.State);
        Assert.Equal("healthy", ServiceStateMachine.Health(h.Machine.Definition, h.Machine.Current)); // one failure below the threshold is no verdict
        h.Send(new ProbeCompleted(ProbeKind.Liveness, generation, false, "timed out"));
        Assert.Equal(ServiceState.Stopping, h.State);
        Assert.Single(h.Effects.OfType<CancelProbeTimers>());
        Assert.Contains(new ProbeChanged(ProbeKind.Liveness, ProbeVerdict.LivenessFailed, "tcp 127.0.0.1:1", 2, "timed out"), h.Recorded);

        h.MainDies(100, ExitStatus.Killed(15));
        Assert.Equal(ServiceState.Backoff, h.State);
        Assert.Single(h.Machine.Current.Restarts.Crashes);
        Assert.Equal(0, h.Machine.Current.Restarts.FailedStarts); // it ran: a hang is an unexpected end, not a failed start
        h.Send(new ProbeCompleted(ProbeKind.Liveness, generation, false, "late")); // of the old run: ignored
        Assert.Equal(ServiceState.Backoff, h.State);
    }

    [Fact]
    public void AnAdoptedReadyService_KeepsItsHealth_AndItsProbesAndWatchdogAreArmedAfresh()
    {
        var notify = new ProbeSettings(null, null, null, new NotifyProbe(TimeSpan.FromSeconds(5)), TimeSpan.Zero, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1), 1, 3);
        var definition = Definitions.Service() with { Readiness = notify, Liveness = Tcp };
        var before = new MachineHarness(definition);
        before.StartRunning();
        before.Send(new Notified(new NotifyMessage(true, false, false, null, null)));

        var machine = new ServiceStateMachine(definition, ServiceStateMachine.Resumable(before.Machine.Current, stoppedByOperator: false));
        var effects = machine.Handle(new SupervisionStarted(new Adoption(100)), new Observation(TimeSpan.FromHours(2), DateTimeOffset.UnixEpoch, true));
        Assert.True(machine.Current.Probes.Ready);
        Assert.Equal([ProbeKind.Liveness, ProbeKind.Watchdog], effects.OfType<ArmProbeTimer>().Select(a => a.Kind));
        Assert.All(effects.OfType<ArmProbeTimer>(), a => Assert.Equal(machine.Current.Probes.Generation, a.Generation));
    }

    [Fact]
    public void Notify_ReadyStatusMainPidAndTheWatchdog()
    {
        var notify = new ProbeSettings(null, null, null, new NotifyProbe(TimeSpan.FromSeconds(5)), TimeSpan.Zero, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1), 1, 3);
        var h = new MachineHarness(Definitions.Service() with { Readiness = notify });
        h.StartRunning();
        Assert.Empty(h.Effects.OfType<ArmProbeTimer>()); // nothing to poll: the service says when
        h.Send(new Notified(new NotifyMessage(false, false, false, "loading", 200)));
        Assert.Equal(("loading", 200), (h.Machine.Current.Run.NotifyStatus, h.Machine.Current.Run.MainPid));
        Assert.Single(h.Effects.OfType<WatchMain>(), w => w.Pid == 200);
        Assert.False(h.Machine.Current.Probes.Ready);

        h.Send(new Notified(new NotifyMessage(true, false, false, null, null)));
        Assert.True(h.Machine.Current.Probes.Ready);
        var watchdog = h.Effects.OfType<ArmProbeTimer>().Single();
        Assert.Equal((ProbeKind.Watchdog, TimeSpan.FromSeconds(5)), (watchdog.Kind, watchdog.Delay));
        h.Send(new Notified(new NotifyMessage(false, false, true, null, null)));
        Assert.Equal(2, h.Count<ArmProbeTimer>()); // each ping re-arms it

        h.Send(new ProbeDue(ProbeKind.Watchdog, watchdog.Generation));
        Assert.Equal(ServiceState.Stopping, h.State);
        Assert.Contains(new ProbeChanged(ProbeKind.Watchdog, ProbeVerdict.WatchdogExpired, null, Interval: TimeSpan.FromSeconds(5)), h.Recorded);
    }
}
