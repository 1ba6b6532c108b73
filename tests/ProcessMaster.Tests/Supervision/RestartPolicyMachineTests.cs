using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Configuration.Values;
using ProcessMaster.Core.Events;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Supervision;

namespace ProcessMaster.Tests.Supervision;

/// <summary>on-failure, success_exit_codes and min_uptime, through the state machine.</summary>
public sealed class RestartPolicyMachineTests
{
    private static readonly TimeSpan Up = TimeSpan.FromSeconds(5); // longer than the default min_uptime

    private static MachineHarness Harness(RestartPolicy policy, int maxRestarts = 3, params int[] successCodes) =>
        new(Definitions.Service(new RestartSettings(policy, TimeSpan.FromSeconds(1), maxRestarts, TimeSpan.FromMinutes(1))
        {
            SuccessExitCodes = successCodes.Length == 0 ? RestartSettings.DefaultSuccessExitCodes : new(successCodes),
        }));

    /// <summary>The service runs for <paramref name="uptime"/>, then ends with <paramref name="status"/>.</summary>
    private static void RunsThenEnds(MachineHarness h, int pid, TimeSpan uptime, ExitStatus status)
    {
        h.Advance(uptime);
        h.MainDies(pid, status);
    }

    [Theory]
    [InlineData(0, ServiceState.Exited)]
    [InlineData(2, ServiceState.Exited)]
    [InlineData(1, ServiceState.Backoff)]
    public void OnFailure_EndsAListedExitCodeInExited_AndRestartsAnyOther(int code, ServiceState expected)
    {
        var h = Harness(RestartPolicy.OnFailure, 3, 0, 2);
        h.StartRunning(100);
        RunsThenEnds(h, 100, Up, ExitStatus.Exited(code));
        Assert.Equal(expected, h.State);
        Assert.Equal(expected == ServiceState.Backoff ? 1 : 0, h.Machine.Current.Restarts.Crashes.Length);
        Assert.Equal(expected == ServiceState.Exited ? CauseKind.Exit : CauseKind.Crash, h.Recorded.OfType<StateChanged>().Last().Cause.Kind);
    }

    [Theory]
    [InlineData(Signals.Term, ServiceState.Exited)] // its own stop signal, sent by someone else: asked to end
    [InlineData(Signals.Kill, ServiceState.Backoff)]
    public void OnFailure_KilledByItsStopSignal_IsASuccess_AnyOtherSignalIsNot(int signal, ServiceState expected)
    {
        var h = Harness(RestartPolicy.OnFailure);
        h.StartRunning(100);
        RunsThenEnds(h, 100, Up, ExitStatus.Killed(signal));
        Assert.Equal(expected, h.State);
    }

    [Fact]
    public void Always_ASuccessfulEndAfterMinUptime_RestartsWithoutUsingTheTolerance()
    {
        var h = Harness(RestartPolicy.Always, maxRestarts: 1);
        var pid = 100;
        h.StartRunning(pid);
        for (var i = 0; i < 5; i++)
        {
            RunsThenEnds(h, pid, Up, ExitStatus.Exited(0));
            Assert.Equal(ServiceState.Backoff, h.State);
            Assert.Empty(h.Machine.Current.Restarts.Crashes);
            h.FireTimer();
            h.Spawned(++pid);
        }

        RunsThenEnds(h, pid, Up, ExitStatus.Exited(1));
        Assert.Equal(ServiceState.Backoff, h.State); // the first counted end
        Assert.Single(h.Machine.Current.Restarts.Crashes);
    }

    [Theory]
    [InlineData(RestartPolicy.Always)]
    [InlineData(RestartPolicy.OnFailure)]
    public void RunsShorterThanMinUptime_AreFailedStarts_AndSayHowOftenOnceFailed(RestartPolicy policy)
    {
        var h = Harness(policy, maxRestarts: 2);
        var pid = 100;
        h.StartRunning(pid);
        for (var i = 1; i <= 2; i++)
        {
            RunsThenEnds(h, pid, TimeSpan.FromMilliseconds(300), ExitStatus.Exited(0)); // even a successful exit
            Assert.Equal(ServiceState.Backoff, h.State);
            Assert.Equal(i, h.Machine.Current.Restarts.FailedStarts);
            h.FireTimer();
            h.Spawned(++pid);
        }

        RunsThenEnds(h, pid, TimeSpan.FromMilliseconds(300), ExitStatus.Exited(1));
        Assert.Equal(ServiceState.Failed, h.State);
        Assert.Contains(h.Recorded.OfType<StateChanged>(), c => c is { To: ServiceState.Failed, Cause.Kind: CauseKind.Crash, Exit.Code: 1 });
        // What status shows of a FAILED service, as an operator reads it.
        Assert.Equal("exited 3 times within 1s of start (exit code 1)", h.Machine.Current.LastError);
    }

    [Fact]
    public void ARunThatReachesMinUptime_EndsTheStreakOfFailedStarts()
    {
        var h = Harness(RestartPolicy.Always, maxRestarts: 10);
        h.StartRunning(100);
        RunsThenEnds(h, 100, TimeSpan.FromMilliseconds(10), ExitStatus.Exited(1));
        Assert.Equal(1, h.Machine.Current.Restarts.FailedStarts);
        h.FireTimer();
        h.Spawned(101);
        RunsThenEnds(h, 101, Up, ExitStatus.Exited(1));
        Assert.Equal(0, h.Machine.Current.Restarts.FailedStarts);
        Assert.Equal(2, h.Machine.Current.Restarts.Crashes.Length); // both count toward the tolerance
    }

    [Fact]
    public void Never_QuickSuccessfulExit_IsExited_MinUptimeOnlyMattersToAPolicyThatRestarts()
    {
        var h = Harness(RestartPolicy.Never, 3, 0, 3);
        h.StartRunning(100);
        RunsThenEnds(h, 100, TimeSpan.FromMilliseconds(5), ExitStatus.Exited(3));
        Assert.Equal(ServiceState.Exited, h.State);
    }

    [Fact]
    public void AHungServiceThatExitsZeroWhenStopped_IsAFailure_NotAnExit()
    {
        var liveness = new ProbeSettings(null, null, new TcpProbe("127.0.0.1", 1), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1), 1, 1);
        var h = new MachineHarness(Definitions.Service(new RestartSettings(RestartPolicy.Never, TimeSpan.Zero, 3, TimeSpan.FromMinutes(1))) with { Liveness = liveness });
        h.StartRunning(100);
        h.Advance(Up);
        h.Send(new ProbeCompleted(ProbeKind.Liveness, h.Effects.OfType<ArmProbeTimer>().Single().Generation, false, "timed out"));
        Assert.Equal(ServiceState.Stopping, h.State);
        h.MainDies(100, ExitStatus.Exited(0)); // it handled SIGTERM cleanly

        Assert.Equal(ServiceState.Failed, h.State);
        var failed = h.Recorded.OfType<StateChanged>().Last();
        Assert.Equal(CauseKind.LivenessFailure, failed.Cause.Kind);
        Assert.StartsWith("hung", failed.Reason, StringComparison.Ordinal); // not "ended (exit code 0)"
    }
}
