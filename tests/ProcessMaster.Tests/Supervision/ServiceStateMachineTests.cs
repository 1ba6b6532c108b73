using ProcessMaster.Core.Events;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Supervision;

namespace ProcessMaster.Tests.Supervision;

public class ServiceStateMachineTests
{
    private static readonly ExitStatus Crash = ExitStatus.Exited(1);

    [Fact]
    public void Start_SpawnsAndRepliesOnlyOnceTheCommandWasExecuted()
    {
        var h = new MachineHarness();
        var waiter = h.Start();
        Assert.Equal(ServiceState.Starting, h.State);
        Assert.Equal(1, h.Count<SpawnMain>());
        Assert.Null(h.Result(waiter));

        h.Spawned(100);
        Assert.Equal(ServiceState.Running, h.State);
        Assert.Equal(OperationOutcome.Success("started (pid 100)"), h.Result(waiter)!);
    }

    [Fact]
    public void Start_WhileRunning_IsANoOpThatSucceeds()
    {
        var h = new MachineHarness();
        h.StartRunning();
        h.ClearEffects();
        var again = h.Start();
        Assert.Equal(0, h.Count<SpawnMain>());
        Assert.True(h.Result(again)!.Ok);
        Assert.Equal(OutcomeCode.AlreadyRunning, h.Result(again)!.Code);
    }

    [Fact]
    public void ExecError_FailsTheStartWithTheShimsMessage_AndCountsAsACrash()
    {
        var h = new MachineHarness();
        var waiter = h.Start();
        h.Send(new MainSpawned(100));
        h.Send(new ExecCompleted(100, "cannot execute /bin/web: No such file or directory"));
        Assert.False(h.Result(waiter)!.Ok);
        Assert.Contains("No such file or directory", h.Result(waiter)!.Message);
        Assert.Equal(ServiceState.Starting, h.State); // until the shim is reaped

        h.MainDies(100, ExitStatus.Exited(127));
        Assert.Equal(ServiceState.Backoff, h.State);
        Assert.Equal("cannot execute /bin/web: No such file or directory", h.Machine.Current.LastError);
    }

    [Fact]
    public void SpawnFailure_FailsTheStart()
    {
        var h = new MachineHarness(Definitions.Service(new RestartSettings(RestartPolicy.Never, TimeSpan.Zero, 3, TimeSpan.FromMinutes(1))));
        var waiter = h.Start();
        h.Send(new SpawnFailed("processmaster-exec not found"));
        Assert.False(h.Result(waiter)!.Ok);
        Assert.Equal(ServiceState.Failed, h.State);
    }

    [Fact]
    public void MainExitBeforeExecStatus_IsHandledInEitherOrder()
    {
        var h = new MachineHarness();
        var waiter = h.Start();
        h.Send(new MainSpawned(100));
        h.MainDies(100, ExitStatus.Exited(0)); // quick command: reaped before the status pipe's EOF was read
        Assert.Equal(ServiceState.Starting, h.State);
        h.Send(new ExecCompleted(100, null));
        Assert.True(h.Result(waiter)!.Ok);
        Assert.Equal(ServiceState.Backoff, h.State);
    }

    [Fact]
    public void MainExitBeforeExecStatus_WithProcessesLeft_IsReportedOnceRunning()
    {
        var h = new MachineHarness();
        h.Start();
        h.Send(new MainSpawned(100));
        h.Populated = true;
        h.Send(new MainExited(100, ExitStatus.Exited(0))); // reaped before the status pipe's EOF; a child remains
        Assert.Empty(h.Recorded.OfType<MainEndedGroupRuns>());
        h.Send(new ExecCompleted(100, null));
        Assert.Equal(ServiceState.Running, h.State);
        Assert.Contains(new MainEndedGroupRuns(100, ExitStatus.Exited(0)), h.Recorded);
    }

    [Fact]
    public void MainExitWithProcessesLeft_StaysRunning_ThenEndsWhenTheCgroupEmpties()
    {
        var h = new MachineHarness();
        h.StartRunning();
        h.Send(new MainExited(100, ExitStatus.Exited(0))); // Populated stays true: a daemonized child remains
        Assert.Equal(ServiceState.Running, h.State);
        Assert.Equal(ExitStatus.Exited(0), h.Machine.Current.LastExit);
        Assert.NotEmpty(h.Recorded.OfType<MainEndedGroupRuns>());

        h.CgroupEmpties();
        Assert.Equal(ServiceState.Backoff, h.State);
    }

    [Fact]
    public void CgroupEmptyBeforeMainReaped_WaitsForTheExitCode()
    {
        var h = new MachineHarness(Definitions.Service(new RestartSettings(RestartPolicy.Never, TimeSpan.Zero, 3, TimeSpan.FromMinutes(1))));
        h.StartRunning();
        h.CgroupEmpties();
        Assert.Equal(ServiceState.Running, h.State);
        h.Send(new MainExited(100, ExitStatus.Exited(3)));
        Assert.Equal(ServiceState.Failed, h.State);
        Assert.Equal(3, h.Machine.Current.LastExit!.Value.Code);
    }

    [Fact]
    public void CrashLoop_GoesToBackoff_UntilTheToleranceBound_ThenFailed()
    {
        var restart = new RestartSettings(RestartPolicy.Always, TimeSpan.FromMilliseconds(500), 2, TimeSpan.FromMinutes(1));
        var h = new MachineHarness(Definitions.Service(restart));
        h.StartRunning(100);

        h.MainDies(100, Crash);
        Assert.Equal(ServiceState.Backoff, h.State);
        Assert.Equal(TimeSpan.FromMilliseconds(500), h.ArmedDelay);
        h.FireTimer();
        Assert.Equal(ServiceState.Starting, h.State);
        h.Spawned(101);

        h.MainDies(101, Crash);
        Assert.Equal(ServiceState.Backoff, h.State);
        h.FireTimer();
        h.Spawned(102);

        h.MainDies(102, Crash);
        Assert.Equal(ServiceState.Failed, h.State);
        Assert.Contains(h.Recorded.OfType<StateChanged>(), c => c is { To: ServiceState.Failed, Cause.Kind: CauseKind.Crash });
        Assert.Equal(2, h.Machine.Current.Restarts.Count);
        Assert.Equal(3, h.Machine.Current.Restarts.FailedStarts); // each ran for no time at all
    }

    [Fact]
    public void CrashesOutsideTheWindow_DoNotCount()
    {
        var restart = new RestartSettings(RestartPolicy.Always, TimeSpan.FromSeconds(1), 1, TimeSpan.FromSeconds(10));
        var h = new MachineHarness(Definitions.Service(restart));
        var pid = 100;
        h.StartRunning(pid);
        for (var i = 0; i < 5; i++)
        {
            h.Advance(TimeSpan.FromSeconds(11));
            h.MainDies(pid, Crash);
            Assert.Equal(ServiceState.Backoff, h.State);
            h.FireTimer();
            h.Spawned(++pid);
        }
    }

    [Fact]
    public void OperatorStart_ClearsFailed()
    {
        var restart = new RestartSettings(RestartPolicy.Always, TimeSpan.Zero, 0, TimeSpan.FromMinutes(1));
        var h = new MachineHarness(Definitions.Service(restart));
        h.StartRunning(100);
        h.MainDies(100, Crash);
        Assert.Equal(ServiceState.Failed, h.State);

        var waiter = h.Start();
        h.Spawned(101);
        Assert.True(h.Result(waiter)!.Ok);
        Assert.Equal(ServiceState.Running, h.State);
        Assert.Equal(0, h.Machine.Current.Restarts.Count);
    }

    [Theory]
    [InlineData(0, ServiceState.Exited)]
    [InlineData(2, ServiceState.Failed)]
    public void PolicyNever_CleanExitIsExited_OtherwiseFailed(int code, ServiceState expected)
    {
        var h = new MachineHarness(Definitions.Service(new RestartSettings(RestartPolicy.Never, TimeSpan.Zero, 3, TimeSpan.FromMinutes(1))));
        h.StartRunning();
        h.MainDies(100, ExitStatus.Exited(code));
        Assert.Equal(expected, h.State);
        Assert.Equal(0, h.Count<ArmTimer>() - 1); // only the start timeout was ever armed
    }

    [Fact]
    public void Stop_SignalsThenCompletesWhenTheCgroupIsEmpty()
    {
        var h = new MachineHarness();
        h.StartRunning();
        var stop = h.Stop();
        Assert.Equal(ServiceState.Stopping, h.State);
        Assert.Equal(StopPhase.Grace, h.Machine.Phase);
        Assert.Equal(15, Assert.Single(h.Effects.OfType<SignalAll>()).Signal);
        Assert.Equal(TimeSpan.FromSeconds(5), h.ArmedDelay);
        Assert.Null(h.Result(stop));

        h.MainDies(100, ExitStatus.Killed(15));
        Assert.Equal(ServiceState.Stopped, h.State);
        Assert.Equal(OperationOutcome.Success("stopped"), h.Result(stop)!);
        Assert.True(h.Machine.Current.Restarts.StoppedByOperator);
        Assert.Contains(h.Effects, e => e is PersistOperatorStop { Stopped: true });
    }

    [Fact]
    public void Stop_GraceExpires_KillsTheCgroup_AndWaitsForItToEmpty()
    {
        var h = new MachineHarness();
        h.StartRunning();
        var stop = h.Stop();
        h.FireTimer();
        Assert.Equal(StopPhase.Killed, h.Machine.Phase);
        Assert.Equal(1, h.Count<KillCgroup>());
        Assert.Equal(ServiceStateMachine.KillTimeout, h.ArmedDelay);
        h.MainDies(100, ExitStatus.Killed(9));
        Assert.True(h.Result(stop)!.Ok);
        Assert.Equal(ServiceState.Stopped, h.State);
    }

    [Fact]
    public void Stop_CgroupNeverEmpties_FailsNamingTheStuckStop()
    {
        var h = new MachineHarness();
        h.StartRunning();
        var stop = h.Stop();
        h.FireTimer();
        h.FireTimer();
        var stuck = Assert.Single(h.Effects.OfType<FailStuckStop>());
        Assert.Contains(stop, stuck.Waiters);
        Assert.Equal(ServiceState.Failed, h.State);
    }

    [Fact]
    public void Stop_WithStopCommand_RunsItFirst_AndSignalsOnlyWhenItFails()
    {
        var h = new MachineHarness(Definitions.Service(stopCommand: new(["./stop"])));
        h.StartRunning();
        h.Stop();
        Assert.Equal(StopPhase.StopCommand, h.Machine.Phase);
        Assert.Equal(1, h.Count<SpawnStopCommand>());
        Assert.Equal(0, h.Count<SignalAll>());

        h.Send(new StopCommandExited(200, ExitStatus.Exited(0)));
        Assert.Equal(0, h.Count<SignalAll>());
        Assert.Equal(StopPhase.Grace, h.Machine.Phase);

        var failing = new MachineHarness(Definitions.Service(stopCommand: new(["./stop"])));
        failing.StartRunning();
        failing.Stop();
        failing.Send(new StopCommandExited(200, ExitStatus.Exited(1)));
        Assert.Equal(15, Assert.Single(failing.Effects.OfType<SignalAll>()).Signal);
    }

    [Fact]
    public void Stop_ServiceEndsBeforeTheStopCommandIsReaped_CompletesOnlyWithTheStopCommand()
    {
        var h = new MachineHarness(Definitions.Service(stopCommand: new(["./stop"])));
        h.StartRunning();
        var stop = h.Stop();
        h.MainDies(100, ExitStatus.Exited(0));
        h.CgroupEmpties();
        Assert.Equal(ServiceState.Stopping, h.State);
        Assert.Null(h.Result(stop));

        h.Send(new StopCommandExited(200, ExitStatus.Exited(0)));
        Assert.Equal(ServiceState.Stopped, h.State);
        Assert.True(h.Result(stop)!.Ok);
        Assert.Contains(new StopProgress(StopStep.CommandSucceeded), h.Recorded);
    }

    [Fact]
    public void Stop_StopCommandCannotStart_AfterTheServiceEnded_CompletesTheStop()
    {
        var h = new MachineHarness(Definitions.Service(stopCommand: new(["./stop"])));
        h.StartRunning();
        var stop = h.Stop();
        h.MainDies(100, ExitStatus.Exited(0));
        h.CgroupEmpties();

        h.Send(new StopCommandFailed("no such file"));
        Assert.Equal(ServiceState.Stopped, h.State);
        Assert.True(h.Result(stop)!.Ok);
    }

    [Fact]
    public void Stop_StopCommandReapedOnlyAfterTheDeadline_StillCompletesTheStop()
    {
        var h = new MachineHarness(Definitions.Service(stopCommand: new(["./stop"]), grace: TimeSpan.FromSeconds(2)));
        h.StartRunning();
        var stop = h.Stop();
        h.MainDies(100, ExitStatus.Exited(0));
        h.CgroupEmpties();
        h.FireTimer(); // grace over while the stop command's exit is still unseen: cgroup.kill
        Assert.Equal(ServiceState.Stopping, h.State);

        h.Send(new StopCommandExited(200, ExitStatus.Killed(9)));
        Assert.Equal(ServiceState.Stopped, h.State);
        Assert.True(h.Result(stop)!.Ok);
    }

    [Fact]
    public void Stop_StopCommandHangs_KillsAtTheDeadline()
    {
        var h = new MachineHarness(Definitions.Service(stopCommand: new(["./stop"]), grace: TimeSpan.FromSeconds(2)));
        h.StartRunning();
        h.Stop();
        Assert.Equal(TimeSpan.FromSeconds(2), h.ArmedDelay);
        h.FireTimer();
        Assert.Equal(1, h.Count<KillCgroup>());
        Assert.Contains(new StopProgress(StopStep.CommandTimedOut), h.Recorded);
    }

    [Fact]
    public void Stop_DuringBackoff_CancelsThePendingRestart()
    {
        var h = new MachineHarness();
        h.StartRunning();
        h.MainDies(100, Crash);
        var generation = h.TimerGeneration;
        var stop = h.Stop();
        Assert.Equal(ServiceState.Stopped, h.State);
        Assert.True(h.Result(stop)!.Ok);

        h.ClearEffects();
        h.Send(new TimerFired(generation));
        Assert.Equal(ServiceState.Stopped, h.State);
        Assert.Empty(h.Effects.OfType<SpawnMain>());
    }

    [Fact]
    public void Stop_WhileStarting_WaitsForExec_ThenStopsGracefully()
    {
        var h = new MachineHarness();
        var start = h.Start();
        h.Send(new MainSpawned(100));
        var stop = h.Stop();
        Assert.Equal(0, h.Count<SignalAll>());
        Assert.Equal(OutcomeCode.Cancelled, h.Result(start)!.Code);

        h.Populated = true;
        h.Send(new ExecCompleted(100, null));
        Assert.Equal(ServiceState.Stopping, h.State);
        Assert.Equal(1, h.Count<SignalAll>());
        h.MainDies(100, ExitStatus.Killed(15));
        Assert.True(h.Result(stop)!.Ok);
        Assert.Equal(ServiceState.Stopped, h.State);
    }

    [Fact]
    public void Stop_WhenIdle_SucceedsAndIsPersisted()
    {
        var h = new MachineHarness();
        var stop = h.Stop();
        Assert.Equal(OutcomeCode.AlreadyStopped, h.Result(stop)!.Code);
        Assert.True(h.Machine.Current.Restarts.StoppedByOperator);
    }

    [Fact]
    public void OperatorStopped_IsNotStartedAtBoot_ButAnOperatorStartClearsIt()
    {
        var h = new MachineHarness(stoppedByOperator: true);
        var boot = h.Start(reason: StartReason.Boot);
        Assert.Equal(ServiceState.Stopped, h.State);
        Assert.Equal(OutcomeCode.Skipped, h.Result(boot)!.Code);

        h.Start();
        Assert.Equal(ServiceState.Starting, h.State);
        Assert.False(h.Machine.Current.Restarts.StoppedByOperator);
        Assert.Contains(h.Effects, e => e is PersistOperatorStop { Stopped: false });
    }

    [Fact]
    public void Restart_StopsThenStarts_AndRepliesOnceRunningAgain()
    {
        var h = new MachineHarness();
        h.StartRunning(100);
        var waiter = new OperationWaiter();
        h.Send(new RestartRequest(false, waiter));
        Assert.Equal(ServiceState.Stopping, h.State);
        h.MainDies(100, ExitStatus.Killed(15));
        Assert.Equal(ServiceState.Starting, h.State);
        Assert.Null(h.Result(waiter));
        h.Spawned(101);
        Assert.Equal(OperationOutcome.Success("started (pid 101)"), h.Result(waiter)!);
        Assert.False(h.Machine.Current.Restarts.StoppedByOperator);
        Assert.Equal(0, h.Machine.Current.Restarts.Count);
    }

    [Fact]
    public void StopDuringRestart_Wins_AndTheRestartReportsItWasCancelled()
    {
        var h = new MachineHarness();
        h.StartRunning(100);
        var restart = new OperationWaiter();
        h.Send(new RestartRequest(false, restart));
        var stop = h.Stop();
        Assert.False(h.Result(restart)!.Ok);
        h.MainDies(100, ExitStatus.Killed(15));
        Assert.True(h.Result(stop)!.Ok);
        Assert.Equal(ServiceState.Stopped, h.State);
    }

    [Fact]
    public void Disabled_RefusesAnOperatorStart_ButForceRunsItOnceWithoutRestart()
    {
        var h = new MachineHarness(Definitions.Service(enabled: false));
        var refused = h.Start();
        Assert.False(h.Result(refused)!.Ok);
        Assert.Equal(OutcomeCode.Refused, h.Result(refused)!.Code);
        Assert.Equal(ServiceState.Stopped, h.State);

        h.Start(force: true);
        h.Spawned(100);
        Assert.Equal(ServiceState.Running, h.State);
        h.MainDies(100, Crash);
        Assert.Equal(ServiceState.Stopped, h.State);
        Assert.Contains(h.Recorded.OfType<StateChanged>(), c => c is { To: ServiceState.Stopped, Cause.Kind: CauseKind.Crash } && c.Reason.EndsWith("not restarted because the service is disabled", StringComparison.Ordinal));
    }

    [Fact]
    public void Disabled_IsNotStartedAtBoot()
    {
        var h = new MachineHarness(Definitions.Service(enabled: false));
        h.Start(reason: StartReason.Boot);
        Assert.Equal(ServiceState.Stopped, h.State);
        Assert.Empty(h.Effects.OfType<SpawnMain>());
    }

    [Fact]
    public void StartTimeout_KillsTheShimAndFailsTheStart()
    {
        var h = new MachineHarness();
        var start = h.Start();
        h.Send(new MainSpawned(100));
        Assert.Equal(ServiceStateMachine.StartTimeout, h.ArmedDelay);
        h.FireTimer();
        Assert.False(h.Result(start)!.Ok);
        Assert.Equal(100, Assert.Single(h.Effects.OfType<KillMain>()).Pid);
        h.MainDies(100, ExitStatus.Killed(9));
        Assert.Equal(ServiceState.Backoff, h.State);
    }

    [Fact]
    public void StaleTimer_IsIgnored()
    {
        var h = new MachineHarness();
        h.Start();
        var startTimer = h.TimerGeneration;
        h.Spawned(100);
        h.ClearEffects();
        h.Send(new TimerFired(startTimer));
        Assert.Empty(h.Effects);
        Assert.Equal(ServiceState.Running, h.State);
    }

    [Fact]
    public void StaleExit_OfAnEarlierPid_IsIgnored()
    {
        var h = new MachineHarness();
        h.StartRunning(100);
        h.Populated = false;
        h.Send(new MainExited(99, Crash));
        Assert.Equal(ServiceState.Running, h.State);
    }

    [Fact]
    public void Cron_RunEndsInStopped_WithItsExitCode_AndNoRestart()
    {
        var h = new MachineHarness(Definitions.Cron());
        h.Send(new SupervisionStarted());
        h.FireScheduleTimer();
        h.Spawned(100);
        h.MainDies(100, ExitStatus.Exited(3));
        Assert.Equal(ServiceState.Stopped, h.State);
        Assert.Equal(3, h.Machine.Current.LastExit!.Value.Code);
        Assert.Equal(1, h.Count<SpawnMain>());
    }

    [Fact]
    public void Cron_TickWhileRunning_IsSkippedAndRecorded()
    {
        var h = new MachineHarness(Definitions.Cron());
        h.Send(new SupervisionStarted());
        h.FireScheduleTimer();
        h.Spawned(100);
        h.FireScheduleTimer();
        Assert.Equal(1, h.Count<SpawnMain>());
        Assert.Contains(h.Recorded.OfType<TickSkipped>(), t => t is { Why: TickSkip.StillRunning, State: ServiceState.Running });
    }

    [Fact]
    public void Cron_Overtime_StopsTheRunAndMarksIt()
    {
        var h = new MachineHarness(Definitions.Cron(TimeSpan.FromSeconds(3)));
        h.Start();
        h.Spawned(100);
        Assert.Equal(TimeSpan.FromSeconds(3), h.ArmedDelay);
        h.FireTimer();
        Assert.Equal(ServiceState.Stopping, h.State);
        Assert.Equal(StopReason.Overtime, h.Machine.Current.Stop.Reason);
        Assert.True(h.Machine.Current.Run.Overtime);
        h.MainDies(100, ExitStatus.Killed(15));
        Assert.Equal(ServiceState.Stopped, h.State);
        Assert.True(h.Machine.Current.Run.Overtime);
    }

    [Fact]
    public void ShutdownStop_IsNotPersisted()
    {
        var h = new MachineHarness();
        h.StartRunning();
        h.Stop(StopReason.Shutdown);
        h.MainDies(100, ExitStatus.Killed(15));
        Assert.False(h.Machine.Current.Restarts.StoppedByOperator);
        Assert.DoesNotContain(h.Effects, e => e is PersistOperatorStop);
    }

    [Fact]
    public void ReloadStop_StartsAgainWithTheNewDefinition()
    {
        var h = new MachineHarness();
        h.StartRunning(100);
        var changed = h.Machine.Definition with { Process = h.Machine.Definition.Process with { StartCommand = new(["/bin/web2"]) } };
        h.Send(new DefinitionChanged(changed));
        h.MainDies(100, ExitStatus.Killed(15));
        Assert.Equal(ServiceState.Starting, h.State);
        Assert.Equal(["/bin/web2"], h.Machine.Definition.Process.StartCommand);
    }

    // Found by ServiceStateMachinePropertyTests.

    /// <summary>Started and spawned (pid 100), but the shim has not reported the command executed.</summary>
    private static MachineHarness SpawnedButNeverExecuted()
    {
        var h = new MachineHarness();
        h.Start();
        h.Send(new MainSpawned(100));
        h.Populated = true;
        return h;
    }

    [Fact]
    public void RestartAfterTheStartFailed_ButBeforeItEnded_StartsAgainAndAnswersTheRestart()
    {
        var h = SpawnedButNeverExecuted();
        h.FireTimer(); // the command was never executed: the start fails, the main process is killed
        var restart = new OperationWaiter();
        h.Send(new RestartRequest(false, restart));
        h.ClearEffects();
        h.MainDies(100, ExitStatus.Killed(9));

        Assert.Equal(ServiceState.Starting, h.State);
        Assert.Equal(1, h.Count<SpawnMain>());
        h.Spawned(101);
        Assert.True(h.Result(restart)!.Ok); // it used to wait forever
    }

    [Fact]
    public void RestartWhileStarting_WhenThatStartFails_IsAnsweredWithTheFailure()
    {
        var h = SpawnedButNeverExecuted();
        var restart = new OperationWaiter();
        h.Send(new RestartRequest(false, restart));
        h.FireTimer();
        Assert.Equal(OutcomeCode.Failed, h.Result(restart)!.Code);

        h.MainDies(100, ExitStatus.Killed(9));
        Assert.Equal(ServiceState.Backoff, h.State); // then its restart policy applies
    }

    [Fact]
    public void AnAutomaticStartWhileAnOperatorsStopIsUnderWay_DoesNotUndoIt()
    {
        var h = new MachineHarness();
        h.StartRunning();
        var stop = h.Stop();
        var boot = h.Start(reason: StartReason.Reload);
        Assert.Equal("stopped by operator; not started", h.Result(boot)!.Message);
        h.ClearEffects();
        h.MainDies(100, ExitStatus.Killed(15));

        Assert.Equal(ServiceState.Stopped, h.State);
        Assert.Equal(0, h.Count<SpawnMain>());
        Assert.True(h.Result(stop)!.Ok);
    }

    /// <summary>A stop whose cgroup.kill did not empty the cgroup leaves it FAILED with processes.</summary>
    private static MachineHarness FailedWithProcessesLeft()
    {
        var h = new MachineHarness();
        h.StartRunning();
        h.Stop(StopReason.Shutdown);
        h.FireTimer(); // grace over: cgroup.kill
        h.FireTimer(); // still populated after the kill timeout
        Assert.Equal(ServiceState.Failed, h.State);
        Assert.True(h.Machine.Populated);
        h.ClearEffects();
        return h;
    }

    [Fact]
    public void StoppingAServiceWithProcessesLeft_StopsThemAgain_AndSaysStoppedOnlyOnceNoneRemain()
    {
        var h = FailedWithProcessesLeft();
        var stop = h.Stop();
        Assert.Equal(ServiceState.Stopping, h.State);
        Assert.Equal(1, h.Count<SignalAll>());
        Assert.Null(h.Result(stop));

        h.MainDies(100, ExitStatus.Killed(15));
        Assert.Equal(ServiceState.Stopped, h.State);
        Assert.True(h.Result(stop)!.Ok);
    }

    [Fact]
    public void StartingAServiceWithProcessesLeft_IsRefused_NoSecondInstance()
    {
        var h = FailedWithProcessesLeft();
        var start = h.Start();
        Assert.Equal(OutcomeCode.Refused, h.Result(start)!.Code);
        Assert.Equal(0, h.Count<SpawnMain>());
    }

    [Fact]
    public void AStopInItsKillPhaseWhenTheDaemonDied_IsKilledAgainAndWaitedFor_ThenReportedStuck()
    {
        var saved = new ServiceMachineState
        {
            State = ServiceState.Stopping, Supervised = true, Stop = new StopRecord { Phase = StopPhase.Killed, Reason = StopReason.Operator },
        };
        var h = new MachineHarness(resumed: saved) { Populated = true };

        h.Send(new SupervisionStarted(new Adoption(null)));
        Assert.Equal(1, h.Count<KillCgroup>());
        Assert.Equal(ServiceStateMachine.KillTimeout, h.ArmedDelay);
        Assert.Equal(StopPhase.Killed, h.Machine.Phase);

        h.FireTimer();
        Assert.Equal(ServiceState.Failed, h.State);
        Assert.Single(h.Effects.OfType<FailStuckStop>());
    }
}
