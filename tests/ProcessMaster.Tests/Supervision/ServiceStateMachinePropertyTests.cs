using CsCheck;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Supervision;

namespace ProcessMaster.Tests.Supervision;

/// <summary>
/// The state machine against a simulated system, under random interleavings of operator commands,
/// process exits, forks, slow kills, stop commands and timers (CsCheck shrinks a failing run to its
/// shortest form). What must hold at every step: a stop reported successful left nothing running, no
/// second main process is spawned while one lives, an operator's stop is never undone by an automatic
/// start, no waiter is answered twice; and once the system settles, every caller has been answered.
/// With injected failures, a transition that throws changes nothing, and the machine's retry of a fact
/// brings it where it would have been: never STOPPING without its deadline armed, the timer generation
/// only grows, every caller is still answered.
/// </summary>
public class ServiceStateMachinePropertyTests
{
    private const int Actions = 16;

    private static readonly Gen<int[]> Runs = Gen.Int[0, Actions - 1].Array[1, 80];

    /// <summary>A cron job also gets its ticks (which run it whatever an operator's stop said: a stop ends the current run).</summary>
    private static readonly Gen<int[]> CronRuns = Gen.Int[0, Actions].Array[1, 80];

    /// <summary>With the actions that fail the next transition (17) and deliver a retry the machine asked for (18).</summary>
    private static readonly Gen<int[]> FailingRuns = Gen.Int[0, Actions + 2].Array[1, 80];

    private static string Print(int[] actions) => $"[{string.Join(", ", actions)}]";

    [Fact]
    public void AServiceWhoseTransitionsFail_UnderAnyInterleaving_IsNeverLeftHalfMoved() =>
        FailingRuns.Sample(actions => new World(Definitions.Service()).Play(actions), iter: 3000, print: Print);

    [Fact]
    public void AServiceWithAStopCommandWhoseTransitionsFail_UnderAnyInterleaving_IsNeverLeftHalfMoved() =>
        FailingRuns.Sample(actions => new World(Definitions.Service(stopCommand: new(["/bin/stop"]))).Play(actions), iter: 3000, print: Print);

    [Fact]
    public void AService_UnderAnyInterleaving_KeepsItsPromises() =>
        Runs.Sample(actions => new World(Definitions.Service()).Play(actions), iter: 3000, print: Print);

    [Fact]
    public void AServiceWithAStopCommand_UnderAnyInterleaving_KeepsItsPromises() =>
        Runs.Sample(actions => new World(Definitions.Service(stopCommand: new(["/bin/stop"]))).Play(actions), iter: 3000, print: Print);

    [Fact]
    public void AServiceThatIsNeverRestarted_UnderAnyInterleaving_KeepsItsPromises() =>
        Runs.Sample(actions => new World(Definitions.Service(new RestartSettings(RestartPolicy.Never, TimeSpan.FromSeconds(1), 3, TimeSpan.FromMinutes(1)))).Play(actions), iter: 3000, print: Print);

    [Fact]
    public void ACronJobWithARunTimeLimit_UnderAnyInterleaving_KeepsItsPromises() =>
        CronRuns.Sample(actions => new World(Definitions.Cron(TimeSpan.FromMinutes(1))).Play(actions), iter: 3000, print: Print);

    /// <summary>The system around one machine: its processes, pending requests, the one timer, the callers.</summary>
    private sealed class World
    {
        private readonly ServiceStateMachine _machine;

        /// <summary>The next transition throws after its handler ran (action 17).</summary>
        private bool _failNext;

        /// <summary>The last request's own transition failed (it changed nothing).</summary>
        private bool _requestFailed;

        /// <summary>Facts the machine asked to be given again after a failed transition.</summary>
        private readonly Queue<ServiceMessage> _retries = new();

        public World(ServiceDefinition definition) =>
            _machine = new ServiceStateMachine(definition, stoppedByOperator: false)
            {
                BeforeCommit = _ =>
                {
                    if (_failNext)
                    {
                        _failNext = false;
                        throw new InvalidOperationException("injected");
                    }
                },
            };

        private readonly Dictionary<OperationWaiter, string> _waiters = [];
        private readonly HashSet<OperationWaiter> _answered = [];
        private TimeSpan _now = TimeSpan.FromHours(1);
        private int _nextPid = 100;

        private int? _mainPid;
        private bool _mainAlive;
        private bool _childrenAlive;
        private int? _unconfirmedExec;
        private int? _stopCommandPid;

        /// <summary>What the supervisor feeds back right after performing an effect (a spawn's outcome), before any other message.</summary>
        private readonly Queue<ServiceMessage> _followUps = new();
        private (long Generation, TimeSpan Delay)? _schedule;
        private bool _killRequested;
        private bool _signalled;
        private long? _armed;
        private long _lastGeneration;

        /// <summary>The operator stopped it and has not started it since.</summary>
        private bool _operatorStopped;

        private bool Populated => _mainAlive || _childrenAlive || _stopCommandPid is not null;

        public void Play(int[] actions)
        {
            Send(new SupervisionStarted());
            foreach (var action in actions)
            {
                Act(action);
            }

            Settle();
        }

        private void Act(int action)
        {
            switch (action)
            {
                case 0: Request("start", w => new StartRequest(StartReason.Operator, false, w)); break;
                case 1: Request("stop", w => new StopRequest(StopReason.Operator, w)); break;
                case 2: Request("restart", w => new RestartRequest(false, w)); break;
                case 3: Request("boot", w => new StartRequest(StartReason.Boot, false, w)); break;
                case 4: ConfirmExec(error: false); break;
                case 5: MainExits(ExitStatus.Killed(15)); break;
                case 6: ConfirmExec(error: false); break;
                case 7: ConfirmExec(error: true); break;
                case 8: MainExits(ExitStatus.Exited(_nextPid % 2)); break;
                case 9: _childrenAlive |= _mainAlive; break; // the service forks
                case 10: ChildrenEnd(); break;
                case 11: Kill(); break;
                case 12: FireTimer(stale: false); break;
                case 13: FireTimer(stale: true); break;
                case 14: StopCommandExits(); break;
                case 15: Request("shutdown", w => new StopRequest(StopReason.Shutdown, w)); break;
                case 16: FireScheduleTimer(); break;
                case 17: _failNext = _retries.Count == 0; break; // one failure at a time: a retry always gets through
                case 18: DeliverRetry(); break;
            }
        }

        /// <summary>Lets everything finish: processes die, pending requests are answered, timers fire.</summary>
        private void Settle()
        {
            _failNext = false;
            for (var round = 0; round < 200; round++)
            {
                if (_retries.Count > 0)
                {
                    DeliverRetry();
                }
                else if (_unconfirmedExec is not null)
                {
                    ConfirmExec(error: false);
                }
                else if (_stopCommandPid is not null)
                {
                    StopCommandExits();
                }
                else if (_killRequested || _signalled)
                {
                    Kill();
                }
                else if (_armed is not null)
                {
                    FireTimer(stale: false);
                }
                else if (_machine.State is ServiceState.Running or ServiceState.Starting && !(_waiters.Keys.Any(w => !_answered.Contains(w))))
                {
                    break; // running, nobody waiting
                }
                else if (_waiters.Keys.All(_answered.Contains))
                {
                    break;
                }
                else
                {
                    // Still someone waiting while nothing is pending: a running service that a stop is
                    // waiting on must be given the chance to end.
                    MainExits(ExitStatus.Exited(0));
                    ChildrenEnd();
                }
            }

            var hanging = _waiters.Where(w => !_answered.Contains(w.Key)).Select(w => w.Value).ToList();
            Assert.True(hanging.Count == 0, $"callers never answered: {string.Join(", ", hanging)} (state {_machine.State})");
        }

        private void Request(string kind, Func<OperationWaiter, ServiceMessage> create)
        {
            var waiter = new OperationWaiter();
            _waiters[waiter] = kind;
            var operatorStopped = _operatorStopped;
            if (kind is "start" or "restart")
            {
                _operatorStopped = false;
            }

            Send(create(waiter));
            if (kind == "stop")
            {
                _operatorStopped = true;
            }

            if (_requestFailed)
            {
                _operatorStopped = operatorStopped; // the request was refused: what the operator said before stands
            }
        }

        /// <summary>The supervisor spawns as it performs the effect; every seventh spawn fails.</summary>
        private ServiceMessage Spawn()
        {
            var pid = _nextPid++;
            if (pid % 7 == 0)
            {
                return new SpawnFailed("injected");
            }

            _mainPid = pid;
            _mainAlive = true;
            _unconfirmedExec = pid;
            return new MainSpawned(pid);
        }

        private void ConfirmExec(bool error)
        {
            if (_unconfirmedExec is not { } pid)
            {
                return;
            }

            _unconfirmedExec = null;
            Send(new ExecCompleted(pid, error ? "injected" : null));
            if (error)
            {
                MainExits(ExitStatus.Exited(127));
            }
        }

        private void MainExits(ExitStatus status)
        {
            if (!_mainAlive)
            {
                return;
            }

            _mainAlive = false;
            _unconfirmedExec = null;
            Send(new MainExited(_mainPid!.Value, status));
        }

        private void ChildrenEnd()
        {
            if (_childrenAlive)
            {
                _childrenAlive = false;
                Send(new CgroupChanged());
            }
        }

        /// <summary>A requested kill (or signal) takes effect: everything in the cgroup ends.</summary>
        private void Kill()
        {
            if (!_killRequested && !_signalled)
            {
                return;
            }

            _killRequested = false;
            _signalled = false;
            _childrenAlive = false;
            MainExits(ExitStatus.Killed(9));
            StopCommandExits();
            Send(new CgroupChanged());
        }

        private void FireTimer(bool stale)
        {
            if (stale)
            {
                Send(new TimerFired(_lastGeneration - 1));
                return;
            }

            if (_armed is { } generation)
            {
                _armed = null;
                Send(new TimerFired(generation));
            }
        }

        /// <summary>The schedule's next tick comes: the clock moves to it and the timer fires.</summary>
        private void FireScheduleTimer()
        {
            if (_schedule is { } armed)
            {
                _schedule = null;
                _now += armed.Delay;
                Send(new ScheduleTimerFired(armed.Generation));
            }
        }

        private void StopCommandExits()
        {
            if (_stopCommandPid is { } pid)
            {
                _stopCommandPid = null;
                Send(new StopCommandExited(pid, ExitStatus.Exited(0)));
            }
        }

        private void Send(ServiceMessage message)
        {
            Handle(message);
            while (_followUps.TryDequeue(out var next))
            {
                Handle(next);
            }
        }

        private void DeliverRetry()
        {
            if (_retries.TryDequeue(out var message))
            {
                Send(message);
            }
        }

        private void Handle(ServiceMessage message)
        {
            _now += TimeSpan.FromMilliseconds(10);
            var before = _machine.Current;
            var reason = message switch
            {
                StartRequest start => start.Reason.ToString(),
                RestartRequest => "operator restart",
                TimerFired => "timer",
                _ => message.GetType().Name,
            };
            // As the supervisor does: the populated flag is read fresh for every message.
            var effects = _machine.Handle(message, new Observation(_now, DateTimeOffset.UnixEpoch + _now, Populated));
            var failed = effects.OfType<TransitionUndone>().SingleOrDefault();
            if (!message.IsFact)
            {
                _requestFailed = failed is not null;
            }

            if (failed is not null)
            {
                Assert.Equal(before, _machine.Current); // nothing of the transition took effect
                Assert.All(effects, e => Assert.True(e is TransitionUndone or CompleteWaiter or CompleteReload, $"{e} came with a failed transition"));
                Assert.Equal(message.IsFact, failed.RetryIn is not null);
            }

            Assert.True(_machine.Current.TimerGeneration >= before.TimerGeneration, "the timer generation went back");
            foreach (var effect in effects)
            {
                Perform(effect, reason, message);
            }

            // A deadline whose transition failed comes again as the machine's retry: that is its deadline then.
            Assert.True(_machine.State != ServiceState.Stopping || _armed is not null || _retries.Any(m => m is TimerFired),
                $"STOPPING without a deadline armed ({reason})");
        }

        private void Perform(ServiceEffect effect, string reason, ServiceMessage cause)
        {
            switch (effect)
            {
                case SpawnMain:
                    Assert.False(_mainAlive, $"a second main process was spawned while one lives ({reason})");
                    Assert.False(_operatorStopped && cause is not StartRequest { Reason: StartReason.Operator } and not RestartRequest and not ScheduleTimerFired,
                        $"an automatic start ({reason}) undid the operator's stop");
                    _followUps.Enqueue(Spawn());
                    break;
                case SpawnStopCommand:
                    _stopCommandPid = _nextPid++;
                    _followUps.Enqueue(new StopCommandSpawned(_stopCommandPid.Value));
                    break;
                case SignalAll:
                    _signalled = true;
                    break;
                case KillMain or KillCgroup:
                    _killRequested = true;
                    break;
                case ArmTimer arm:
                    Assert.True(arm.Generation > _lastGeneration, "a timer generation was reused");
                    _lastGeneration = arm.Generation;
                    _armed = arm.Generation;
                    break;
                case CancelTimer:
                    _armed = null;
                    break;
                case ArmScheduleTimer arm:
                    _schedule = (arm.Generation, arm.Delay);
                    break;
                case CancelScheduleTimer:
                    _schedule = null;
                    break;
                case CompleteWaiter complete:
                    Answer(complete.Waiter);
                    if (_waiters.GetValueOrDefault(complete.Waiter) is "stop" or "shutdown" && complete.Result.Ok)
                    {
                        Assert.False(Populated, $"a stop was reported done while processes remain ({_machine.State})");
                    }

                    break;
                case FailStuckStop stuck:
                    stuck.Waiters.ToList().ForEach(Answer);
                    break;
                case TransitionUndone { RetryIn: not null } failed:
                    _retries.Enqueue(failed.Message);
                    break;
            }
        }

        private void Answer(OperationWaiter waiter) => Assert.True(_answered.Add(waiter), "a caller was answered twice");
    }
}
