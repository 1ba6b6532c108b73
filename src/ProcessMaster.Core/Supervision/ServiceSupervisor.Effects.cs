using ProcessMaster.Core.Cgroups;
using ProcessMaster.Core.Configuration.Values;
using ProcessMaster.Core.Events;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Processes;
using ProcessMaster.Core.Supervision.Ports;

namespace ProcessMaster.Core.Supervision;

/// <summary>How the supervisor performs each effect of the state machine.</summary>
public sealed partial class ServiceSupervisor
{
    internal async Task ExecuteAsync(ServiceEffect effect)
    {
        switch (effect)
        {
            case SpawnMain:
                await SpawnMainAsync();
                break;
            case SpawnStopCommand:
                await SpawnStopCommandAsync();
                break;
            case SignalAll signal:
                var sent = _cgroup.Signal(signal.Signal);
                if (Signals.NeedsContinue(signal.Signal))
                {
                    _cgroup.Signal(Signals.Cont); // a stopped process only acts on the signal once continued
                }

                Signalled(new SignalSent(signal.Signal, sent), signal.Answer);
                break;
            case SignalMain signal:
                var delivered = _cgroup.SignalOne(signal.Pid, signal.Signal);
                if (delivered && Signals.NeedsContinue(signal.Signal))
                {
                    _cgroup.SignalOne(signal.Pid, Signals.Cont);
                }

                Signalled(new SignalSent(signal.Signal, delivered ? 1 : 0, signal.Pid), signal.Answer);
                break;
            case KillMain kill:
                _context.Processes.KillIfAlive(kill.Pid);
                break;
            case KillCgroup:
                _cgroup.Kill();
                break;
            case WatchMain watch:
                _mainWatch?.Dispose();
                _mainWatch = _context.Processes.Watch(watch.Pid, status => Post(new MainExited(watch.Pid, status)));
                break;
            case ReportLeftovers:
                Record(new LeftoversFound(_cgroup.Pids()));
                break;
            case ArmTimer arm:
                Arm(ref _timer, arm.Delay, new TimerFired(arm.Generation));
                break;
            case CancelTimer:
                Arm(ref _timer, null, null);
                break;
            case ArmScheduleTimer arm:
                Arm(ref _scheduleTimer, arm.Delay, new ScheduleTimerFired(arm.Generation));
                break;
            case CancelScheduleTimer:
                Arm(ref _scheduleTimer, null, null);
                break;
            case ArmProbeTimer arm:
                _probeTimers.Remove(arm.Kind, out var replaced);
                replaced?.Dispose();
                _probeTimers[arm.Kind] = _context.Time.CreateTimer(_ => Post(new ProbeDue(arm.Kind, arm.Generation)), null, arm.Delay, Timeout.InfiniteTimeSpan);
                break;
            case Supervision.CancelProbeTimers:
                CancelProbeTimers();
                break;
            case Supervision.RunProbe run:
                RunProbe(run);
                break;
            case CompleteWaiter complete:
                _answers.Add(() => complete.Waiter.Complete(complete.Result));
                break;
            case CompleteReload complete:
                _answers.Add(() => complete.Reply.Complete(complete.Action));
                break;
            case FailStuckStop stuck:
                var stuckEvent = new StopStuck(_cgroup.Pids());
                var message = stuckEvent.Render();
                Record(stuckEvent);
                _answers.Add(() =>
                {
                    foreach (var waiter in stuck.Waiters)
                    {
                        waiter.Complete(OperationOutcome.Failure(message));
                    }
                });

                break;
            case RecordEvent record:
                Record(record.Event);
                break;
            case PersistOperatorStop persist:
                await PersistOperatorStopAsync(persist.Stopped);
                break;
            case TransitionUndone failed:
                ReportFailedTransition(failed);
                break;
            default:
                throw new System.Diagnostics.UnreachableException($"{effect.GetType().Name} is not performed");
        }
    }

    /// <summary>Says what failed and that nothing changed; a fact the machine wants again is posted again when it asks.</summary>
    private void ReportFailedTransition(TransitionUndone failed)
    {
        Record(new TransitionFailed(failed.Message.GetType().Name, failed.State, failed.Error, failed.Attempt, failed.RetryIn, failed.Message.IsFact));
        if (failed.RetryIn is { } retry)
        {
            _ = Task.Delay(retry, _context.Time).ContinueWith(_ => Post(failed.Message), TaskScheduler.Default);
        }
    }

    private void CancelProbeTimers()
    {
        foreach (var timer in _probeTimers.Values)
        {
            timer.Dispose();
        }

        _probeTimers.Clear();
    }

    /// <summary>Runs the probe apart from the loop (the next message need not wait for it); its outcome comes back as a message.</summary>
    private void RunProbe(Supervision.RunProbe run)
    {
        var definition = _machine.Definition;
        if ((run.Kind == ProbeKind.Readiness ? definition.Readiness : definition.Liveness) is not { } probe)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            ProbeOutcome outcome;
            try
            {
                outcome = await _context.Probes.RunAsync(run.Kind, probe, definition, _cgroup);
            }
            catch (Exception e)
            {
                outcome = new ProbeOutcome(false, $"the probe could not run: {e.Message}");
            }

            Post(new ProbeCompleted(run.Kind, run.Generation, outcome.Passed, outcome.Detail));
        });
    }

    /// <summary>Replaces <paramref name="timer"/> with one that posts <paramref name="message"/> after <paramref name="delay"/> (none: cancels).</summary>
    private void Arm(ref ITimer? timer, TimeSpan? delay, ServiceMessage? message)
    {
        timer?.Dispose();
        timer = delay is { } due ? _context.Time.CreateTimer(_ => Post(message!), null, due, Timeout.InfiniteTimeSpan) : null;
    }

    /// <summary>Saves the operator's stop (or start); a failure is kept so the operator's reply can say so.</summary>
    private async Task PersistOperatorStopAsync(bool stopped)
    {
        try
        {
            await _context.State.SetStoppedByOperatorAsync(Name, stopped);
            _unsaved = null;
        }
        catch (Exception e)
        {
            var unsaved = new OperatorStopNotSaved(stopped, e.Message);
            _unsaved = unsaved.Render();
            Record(unsaved);
        }
    }

    private async Task SpawnMainAsync()
    {
        var definition = _machine.Definition;
        try
        {
            PrepareCgroup(definition);

            var pid = await _context.Processes.SpawnAsync(
                new SpawnRequest(definition, _cgroup, definition.Process.StartCommand, Name, ProcessRole.Main),
                (p, error) => Post(new ExecCompleted(p, error)),
                (p, status) => Post(new MainExited(p, status)));
            _followUps.Enqueue(new MainSpawned(pid));
        }
        catch (Exception e) when (e is SpawnException or CgroupException)
        {
            _followUps.Enqueue(new SpawnFailed(e.Message));
        }
    }

    /// <summary>Records what a signal reached; an operator who asked for it hears the same.</summary>
    private void Signalled(SignalSent sent, OperationWaiter? answer)
    {
        Record(sent);
        if (answer is not null)
        {
            var text = sent.Render();
            var outcome = sent.Processes > 0 ? OperationOutcome.Success(text) : OperationOutcome.Failure(text);
            _answers.Add(() => answer.Complete(outcome));
        }
    }

    private async Task SpawnStopCommandAsync()
    {
        var definition = _machine.Definition;
        try
        {
            var pid = await _context.Processes.SpawnAsync(
                new SpawnRequest(definition, _cgroup, definition.Process.StopCommand!.Value, $"{Name}.stop", ProcessRole.StopCommand),
                (_, error) =>
                {
                    if (error is not null)
                    {
                        Record(new StopProgress(StopStep.CommandNotExecuted, Error: error));
                    }
                },
                (p, status) => Post(new StopCommandExited(p, status)));
            _followUps.Enqueue(new StopCommandSpawned(pid));
        }
        catch (SpawnException e)
        {
            _followUps.Enqueue(new StopCommandFailed(e.Message));
        }
    }
}
