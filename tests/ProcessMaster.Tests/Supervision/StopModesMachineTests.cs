using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Events;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Supervision;

namespace ProcessMaster.Tests.Supervision;

/// <summary>kill_mode, exit_type, and stop_signal beside stop_command.</summary>
public class StopModesMachineTests
{
    private static ServiceDefinition With(Func<ProcessSettings, ProcessSettings> change, EquatableArray<string>? stopCommand = null, RestartSettings? restart = null)
    {
        var definition = Definitions.Service(restart, stopCommand: stopCommand);
        return definition with { Process = change(definition.Process) };
    }

    [Fact]
    public void MixedKillMode_SignalsTheMainProcessOnly_ThenKillsEverythingAtTheGracesEnd()
    {
        var h = new MachineHarness(With(p => p with { KillMode = KillMode.Mixed, StopSignal = 2 }));
        h.StartRunning(100);
        h.ClearEffects();
        h.Stop();

        Assert.Equal(new SignalMain(100, 2), Assert.Single(h.Effects.OfType<SignalMain>()));
        Assert.Equal(0, h.Count<SignalAll>());
        h.FireTimer();
        Assert.Equal(1, h.Count<KillCgroup>());
    }

    [Fact]
    public void MixedKillMode_WithTheMainProcessGone_SignalsWhatRemains()
    {
        var h = new MachineHarness(With(p => p with { KillMode = KillMode.Mixed }));
        h.StartRunning(100);
        h.Send(new MainExited(100, ExitStatus.Exited(0))); // daemonized: the cgroup still runs
        h.ClearEffects();
        h.Stop();

        Assert.Equal(0, h.Count<SignalMain>());
        Assert.Equal(15, Assert.Single(h.Effects.OfType<SignalAll>()).Signal);
    }

    [Fact]
    public void StopCommandAlone_ThatSucceeds_IsTrustedUntilTheGracesEnd()
    {
        var h = new MachineHarness(Definitions.Service(stopCommand: new(["./stop"])));
        h.StartRunning();
        h.Stop();
        h.Send(new StopCommandExited(200, ExitStatus.Exited(0)));

        Assert.Equal(0, h.Count<SignalAll>());
        Assert.Contains(new StopProgress(StopStep.CommandSucceeded), h.Recorded);
    }

    [Fact]
    public void StopCommandWithStopSignal_TheSignalFollowsTheCommand_WhenProcessesRemain()
    {
        var h = new MachineHarness(With(p => p with { StopSignal = 3, SignalAfterStopCommand = true }, stopCommand: new(["./stop"])));
        h.StartRunning();
        h.Stop();
        Assert.Equal(0, h.Count<SignalAll>());
        h.Send(new StopCommandExited(200, ExitStatus.Exited(0)));

        Assert.Equal(3, Assert.Single(h.Effects.OfType<SignalAll>()).Signal);
        Assert.Contains(new StopProgress(StopStep.CommandSucceeded, SignalFollows: 3), h.Recorded);
        Assert.Contains("stop_command succeeded; sending SIGQUIT", h.Events);
    }

    [Fact]
    public void StopCommandWithStopSignal_NothingLeft_NoSignalFollows()
    {
        var h = new MachineHarness(With(p => p with { SignalAfterStopCommand = true }, stopCommand: new(["./stop"])));
        h.StartRunning();
        var stop = h.Stop();
        h.MainDies(100, ExitStatus.Exited(0));
        h.Send(new StopCommandExited(200, ExitStatus.Exited(0)));

        Assert.Equal(0, h.Count<SignalAll>());
        Assert.Equal(ServiceState.Stopped, h.State);
        Assert.True(h.Result(stop)!.Ok);
    }

    [Fact]
    public void FailedStopCommand_IsFollowedByTheConfiguredStopSignal_ToTheMainProcessInMixedMode()
    {
        var h = new MachineHarness(With(p => p with { StopSignal = 2, SignalAfterStopCommand = true, KillMode = KillMode.Mixed }, stopCommand: new(["./stop"])));
        h.StartRunning(100);
        h.Stop();
        h.Send(new StopCommandExited(200, ExitStatus.Exited(1)));

        Assert.Equal(new SignalMain(100, 2), Assert.Single(h.Effects.OfType<SignalMain>()));
        Assert.Contains("stop_command failed (exit code 1); sending SIGINT", h.Events);
    }

    [Fact]
    public void ExitTypeMain_MainEndsWithHelpersLeft_TheyAreStopped_ThenThePolicyDecidesOnTheMainsExit()
    {
        var onFailure = new RestartSettings(RestartPolicy.OnFailure, TimeSpan.FromSeconds(1), 3, TimeSpan.FromMinutes(1));
        var h = new MachineHarness(With(p => p with { ExitType = ExitType.Main }, stopCommand: new(["./stop"]), restart: onFailure));
        h.StartRunning(100);
        h.ClearEffects();
        h.Advance(TimeSpan.FromSeconds(10));
        h.Send(new MainExited(100, ExitStatus.Exited(3))); // an epmd-like helper still runs in the cgroup

        Assert.Equal(ServiceState.Stopping, h.State);
        Assert.Equal(0, h.Count<SpawnStopCommand>()); // nothing to ask to stop: the service is over
        Assert.Equal(15, Assert.Single(h.Effects.OfType<SignalAll>()).Signal);

        h.CgroupEmpties();
        Assert.Equal(ServiceState.Backoff, h.State); // exit code 3 is a failure: on-failure restarts it
        Assert.Equal(ExitStatus.Exited(3), h.Machine.Current.LastExit);
    }

    [Fact]
    public void ExitTypeMain_CleanExit_WithNever_EndsExited()
    {
        var never = new RestartSettings(RestartPolicy.Never, TimeSpan.Zero, 3, TimeSpan.FromMinutes(1));
        var h = new MachineHarness(With(p => p with { ExitType = ExitType.Main }, restart: never));
        h.StartRunning(100);
        h.Advance(TimeSpan.FromSeconds(10));
        h.Send(new MainExited(100, ExitStatus.Exited(0)));
        h.FireTimer(); // the helper ignores the signal: cgroup.kill at the grace's end
        Assert.Equal(1, h.Count<KillCgroup>());
        h.CgroupEmpties();

        Assert.Equal(ServiceState.Exited, h.State);
    }

    [Fact]
    public void ExitTypeMain_AnOperatorStopWhileTheLeftoversGo_EndsStopped()
    {
        var h = new MachineHarness(With(p => p with { ExitType = ExitType.Main }));
        h.StartRunning(100);
        h.Send(new MainExited(100, ExitStatus.Exited(1)));
        var stop = h.Stop();
        h.CgroupEmpties();

        Assert.Equal(ServiceState.Stopped, h.State);
        Assert.True(h.Result(stop)!.Ok);
    }

    [Fact]
    public void ExitTypeCgroup_MainEndsWithProcessesLeft_StillRuns()
    {
        var h = new MachineHarness();
        h.StartRunning(100);
        h.Send(new MainExited(100, ExitStatus.Exited(0)));

        Assert.Equal(ServiceState.Running, h.State);
        Assert.Contains(h.Recorded, e => e is MainEndedGroupRuns);
    }

    [Fact]
    public void OperatorSignal_GoesToEveryProcess_OrTheMainOne_AndIsAnsweredWithWhatItReached()
    {
        var h = new MachineHarness();
        h.StartRunning(100);
        var all = new OperationWaiter();
        h.Send(new SignalRequest(1, false, all));
        Assert.Equal(new SignalAll(1, all), Assert.Single(h.Effects.OfType<SignalAll>()));
        Assert.Null(h.Result(all)); // the supervisor answers, with how many got it

        var main = new OperationWaiter();
        h.Send(new SignalRequest(10, true, main));
        Assert.Equal(new SignalMain(100, 10, main), Assert.Single(h.Effects.OfType<SignalMain>()));
        Assert.Equal(ServiceState.Running, h.State);
    }

    [Fact]
    public void OperatorSignal_IsRefused_WhenNothingRuns_OrTheMainProcessIsGoneForMain()
    {
        var h = new MachineHarness();
        var stopped = new OperationWaiter();
        h.Send(new SignalRequest(1, false, stopped));
        Assert.Equal(OutcomeCode.Refused, h.Result(stopped)!.Code);
        Assert.Contains("STOPPED", h.Result(stopped)!.Message);

        h.StartRunning(100);
        h.Send(new MainExited(100, ExitStatus.Exited(0))); // daemonized
        var main = new OperationWaiter();
        h.Send(new SignalRequest(1, true, main));
        Assert.Equal(OutcomeCode.Refused, h.Result(main)!.Code);
        Assert.Equal(0, h.Count<SignalMain>());
    }
}
