using ProcessMaster.Core.Events;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Supervision;

namespace ProcessMaster.Tests.Supervision;

/// <summary>Each change of state says what caused it, as a value: who stopped it, that it crashed, that the policy restarted it.</summary>
public class EventCauseTests
{
    private static List<StateChanged> Changes(MachineHarness h) => [.. h.Recorded.OfType<StateChanged>()];

    [Fact]
    public void AnOperatorsStartAndStop_NameTheOperator()
    {
        var h = new MachineHarness();
        h.Send(new StartRequest(StartReason.Operator, Waiter: new OperationWaiter(), By: "alice"));
        h.Spawned(100);
        h.Send(new StopRequest(StopReason.Operator, new OperationWaiter(), By: "bob"));
        h.MainDies(100, ExitStatus.Killed(15));

        Assert.Equal(
            [
                (ServiceState.Stopped, ServiceState.Starting, Cause.Operator("alice")),
                (ServiceState.Starting, ServiceState.Running, Cause.Operator("alice")),
                (ServiceState.Running, ServiceState.Stopping, Cause.Operator("bob")),
                (ServiceState.Stopping, ServiceState.Stopped, Cause.Operator("bob")),
            ],
            Changes(h).Select(c => (c.From, c.To, c.Cause)));
        Assert.Equal(100, Changes(h)[1].Pid);
    }

    [Fact]
    public void ACrash_ThenThePolicysRestart_ThenAToleranceExceeded_AreToldApart()
    {
        var h = new MachineHarness();
        h.StartRunning();
        h.MainDies(100, ExitStatus.Exited(3));
        var crash = Changes(h).Last();
        Assert.Equal((ServiceState.Running, ServiceState.Backoff, CauseKind.Crash), (crash.From, crash.To, crash.Cause.Kind));
        Assert.Equal(ExitStatus.Exited(3), crash.Exit);

        h.FireTimer();
        Assert.Equal((ServiceState.Backoff, ServiceState.Starting, CauseKind.PolicyRestart), (Changes(h).Last().From, Changes(h).Last().To, Changes(h).Last().Cause.Kind));
        h.Spawned(101);
        h.MainDies(101, ExitStatus.Exited(0));
        Assert.Equal((CauseKind.Exit, ExitStatus.Exited(0)), (Changes(h).Last().Cause.Kind, Changes(h).Last().Exit));
    }

    [Fact]
    public void ACommandThatCannotRun_IsAStartFailure_WithoutAnExitStatus()
    {
        var h = new MachineHarness();
        h.Start();
        h.Send(new MainSpawned(100));
        h.Populated = true;
        h.Send(new ExecCompleted(100, "no such file"));
        h.MainDies(100, ExitStatus.Exited(127));
        var end = Changes(h).Last();
        Assert.Equal((ServiceState.Starting, ServiceState.Backoff, CauseKind.StartFailure, (ExitStatus?)null), (end.From, end.To, end.Cause.Kind, end.Exit));
        Assert.Contains(h.Recorded, e => e is StartFailed { Error: "no such file" });
    }

    [Fact]
    public void AReloadsAndAShutdownsStops_SayWhy()
    {
        var reload = new MachineHarness();
        reload.StartRunning();
        reload.Stop(StopReason.Disabled);
        Assert.Equal(CauseKind.Reload, Changes(reload).Last().Cause.Kind);

        var shutdown = new MachineHarness();
        shutdown.StartRunning();
        shutdown.Stop(StopReason.Shutdown);
        Assert.Equal(CauseKind.Shutdown, Changes(shutdown).Last().Cause.Kind);
        Assert.Contains(shutdown.Recorded, e => e is StopProgress { Step: StopStep.GraceStarted, Grace.TotalSeconds: 5 });
    }

    [Fact]
    public void ABootStart_IsCausedByBoot()
    {
        var h = new MachineHarness();
        h.Start(reason: StartReason.Boot);
        Assert.Equal(CauseKind.Boot, Changes(h).Single().Cause.Kind);
    }
}
