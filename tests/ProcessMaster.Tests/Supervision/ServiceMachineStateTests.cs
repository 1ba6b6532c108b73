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
        Gen.Select(Gen.Int[0, 15].Array[0, 40], Gen.Int[0, 15].Array[1, 40], Gen.Bool.Array[80])
            .Sample((prefix, suffix, populated) => Check(Definitions.Cron(TimeSpan.FromMinutes(1)), prefix, suffix, populated)
                                                   && Check(Definitions.Service(stopCommand: new(["/bin/stop"])), prefix, suffix, populated)
                                                   && Check(WithDependenciesAndProbes, prefix, suffix, populated), iter: 2000);

    private static readonly ServiceDefinition WithDependenciesAndProbes = Definitions.Service() with
    {
        DependsOn = new([new Dependency("db", DependencyCondition.Healthy, TimeSpan.FromSeconds(30), Restart: true)]),
        Readiness = new ProbeSettings(null, null, new TcpProbe("127.0.0.1", 1), null, TimeSpan.Zero, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1), 1, 2),
        Liveness = new ProbeSettings(new ExecProbe(new(["/bin/true"])), null, null, null, TimeSpan.Zero, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1), 1, 2),
    };

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
            Assert.Equal(Scalars(original.Current), Scalars(restored.Current));
            Assert.Equal(original.Current.Restarts.Crashes.ToArray(), restored.Current.Restarts.Crashes.ToArray());
            Assert.Equal(original.Current.Dependencies.Known.OrderBy(d => d.Key), restored.Current.Dependencies.Known.OrderBy(d => d.Key));
            Assert.Equal(original.Current.Run.StartedAfter.OrderBy(d => d.Key), restored.Current.Run.StartedAfter.OrderBy(d => d.Key));
        }

        return true;

        Observation At()
        {
            now += TimeSpan.FromSeconds(7);
            return new Observation(now, DateTimeOffset.UnixEpoch + now, populated[step++ % populated.Length]);
        }
    }

    /// <summary>The state without its collections (compared by their contents instead).</summary>
    private static ServiceMachineState Scalars(ServiceMachineState state) =>
        state with
        {
            Restarts = state.Restarts with { Crashes = [] },
            Dependencies = state.Dependencies with { Known = Empty.Dependencies.Known },
            Run = state.Run with { StartedAfter = Empty.Run.StartedAfter },
        };

    private static readonly ServiceMachineState Empty = new();

    private static ServiceMessage Message(int code, ServiceMachineState state) => code switch
    {
        0 => new StartRequest(StartReason.Operator),
        1 => new StopRequest(StopReason.Operator),
        2 => new RestartRequest(),
        3 => new MainSpawned(100 + (int)state.TimerGeneration),
        4 => new ExecCompleted(state.Run.MainPid ?? 0, null),
        5 => new MainExited(state.Run.MainPid ?? 0, ExitStatus.Exited((int)(state.TimerGeneration % 2))),
        6 => new CgroupChanged(),
        7 => new TimerFired(state.TimerGeneration),
        8 => new ScheduleTimerFired(state.Schedule.Generation),
        9 => new StopCommandExited(0, ExitStatus.Exited(0)),
        11 => new DependencyChanged("db", new DependencyStatus((ServiceState)(state.TimerGeneration % 8), state.TimerGeneration % 3 == 0, true, state.TimerGeneration / 4, state.TimerGeneration + state.Probes.Generation)),
        12 => new ProbeDue((ProbeKind)(state.Probes.Generation % 3), state.Probes.Generation),
        13 => new ProbeCompleted((ProbeKind)(state.Probes.Generation % 2), state.Probes.Generation, state.TimerGeneration % 2 == 0, "probe"),
        14 => new Notified(new NotifyMessage(state.TimerGeneration % 2 == 0, false, true, "status", null)),
        15 => new StartRequest(StartReason.Operator, IgnoreDependencies: true),
        _ => new StartRequest(StartReason.Boot),
    };
}
