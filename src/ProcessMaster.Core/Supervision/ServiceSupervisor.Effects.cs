using ProcessMaster.Core.Cgroups;
using ProcessMaster.Core.Configuration.Values;
using ProcessMaster.Core.Processes;
using ProcessMaster.Core.Supervision.Ports;

namespace ProcessMaster.Core.Supervision;

/// <summary>How the supervisor performs each effect of the state machine.</summary>
public sealed partial class ServiceSupervisor
{
    private const int SigKill = 9;
    private const int SigCont = 18;

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
                if (signal.Signal is not SigKill and not SigCont)
                {
                    _cgroup.Signal(SigCont); // a stopped process only acts on the signal once continued
                }

                Record("stop", $"sent {SignalName.Format(signal.Signal)} to {sent} process(es)");
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
                var left = _cgroup.Pids();
                Record("reconcile", $"found {left.Count} process(es) left by an earlier daemon ({string.Join(',', left)}); killing them so the service starts fresh");
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
                var pids = _cgroup.Pids();
                var message = $"still running after cgroup.kill: pid(s) {string.Join(',', pids)} remain";
                Record("stop", message);
                _answers.Add(() =>
                {
                    foreach (var waiter in stuck.Waiters)
                    {
                        waiter.Complete(OperationOutcome.Failure(message));
                    }
                });

                break;
            case RecordEvent record:
                Record(record.Component, record.Message);
                break;
            case PersistOperatorStop persist:
                await PersistOperatorStopAsync(persist.Stopped);
                break;
            case TransitionFailed failed:
                ReportFailedTransition(failed);
                break;
            default:
                throw new System.Diagnostics.UnreachableException($"{effect.GetType().Name} is not performed");
        }
    }

    /// <summary>Says what failed and that nothing changed; a fact the machine wants again is posted again when it asks.</summary>
    private void ReportFailedTransition(TransitionFailed failed)
    {
        var name = failed.Message.GetType().Name;
        var next = failed.RetryIn is { } delay
            ? $"; it is handled again in {delay.TotalSeconds:0} s (attempt {failed.Attempt} of {ServiceStateMachine.MaxRetries})"
            : failed.Message.IsFact ? $"; given up after {ServiceStateMachine.MaxRetries} retries, the state may be stale until the service's next event" : "";
        Record("supervisor", $"handling {name} in {failed.State.Name()} failed: {failed.Error}; nothing was changed{next}");
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
            _unsaved = $"the {(stopped ? "stop" : "start")} could not be saved in the state file ({e.Message}); " +
                       $"after a daemon restart the service will {(stopped ? "start again" : "stay stopped")}";
            Record("state", _unsaved);
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
                        Record("stop", $"stop_command: {error}");
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
