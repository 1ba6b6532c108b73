using CsCheck;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Supervision;

namespace ProcessMaster.Tests.Supervision;

/// <summary>The machine's state is a value: a machine restored from it behaves exactly like the one it was saved from.</summary>
public class ServiceMachineStateTests
{
    [Fact]
    public void AMachineRestoredFromItsSavedState_BehavesExactlyLikeTheOriginal() =>
        Gen.Select(Gen.Int[0, 10].Array[0, 40], Gen.Int[0, 10].Array[1, 40], Gen.Bool.Array[80])
            .Sample((prefix, suffix, populated) => Check(Definitions.Cron(TimeSpan.FromMinutes(1)), prefix, suffix, populated)
                                                   && Check(Definitions.Service(stopCommand: new(["/bin/stop"])), prefix, suffix, populated), iter: 2000);

    private static bool Check(ServiceDefinition definition, int[] prefix, int[] suffix, bool[] populated)
    {
        var now = TimeSpan.FromHours(1);
        var step = 0;
        var original = new ServiceStateMachine(definition, stoppedByOperator: false);
        original.Handle(new SupervisionStarted(), At());
        foreach (var code in prefix)
        {
            original.Handle(Message(code, original.Current), At());
        }

        var restored = new ServiceStateMachine(definition, original.Current);
        foreach (var code in suffix)
        {
            var message = Message(code, original.Current);
            var at = At();
            var expected = original.Handle(message, at).Where(e => e is not FailStuckStop).ToList();
            var actual = restored.Handle(message, at).Where(e => e is not FailStuckStop).ToList();
            Assert.Equal(expected, actual);
            Assert.Equal(original.Current with { Crashes = [] }, restored.Current with { Crashes = [] });
            Assert.Equal(original.Current.Crashes.ToArray(), restored.Current.Crashes.ToArray());
        }

        return true;

        Observation At()
        {
            now += TimeSpan.FromSeconds(7);
            return new Observation(now, DateTimeOffset.UnixEpoch + now, populated[step++ % populated.Length]);
        }
    }

    private static ServiceMessage Message(int code, ServiceMachineState state) => code switch
    {
        0 => new StartRequest(StartReason.Operator),
        1 => new StopRequest(StopReason.Operator),
        2 => new RestartRequest(),
        3 => new MainSpawned(100 + (int)state.TimerGeneration),
        4 => new ExecCompleted(state.MainPid ?? 0, null),
        5 => new MainExited(state.MainPid ?? 0, ExitStatus.Exited((int)(state.TimerGeneration % 2))),
        6 => new CgroupChanged(),
        7 => new TimerFired(state.TimerGeneration),
        8 => new ScheduleTimerFired(state.ScheduleGeneration),
        9 => new StopCommandExited(0, ExitStatus.Exited(0)),
        _ => new StartRequest(StartReason.Boot),
    };
}
