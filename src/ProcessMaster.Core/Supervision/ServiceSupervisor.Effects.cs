using Microsoft.Win32.SafeHandles;
using ProcessMaster.Core.Configuration.Values;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Logs;
using ProcessMaster.Core.Processes;

namespace ProcessMaster.Core.Supervision;

/// <summary>How the supervisor performs each effect of the state machine.</summary>
public sealed partial class ServiceSupervisor
{
    private const int SigKill = 9;
    private const int SigCont = 18;

    private async Task ExecuteAsync(ServiceEffect effect)
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
                _context.Reaper.SignalIfAlive(kill.Pid, SigKill);
                break;
            case KillCgroup:
                _cgroup.Kill();
                break;
            case ArmTimer arm:
                _timer?.Dispose();
                _timer = _context.Time.CreateTimer(_ => Post(new TimerFired(arm.Generation)), null, arm.Delay, Timeout.InfiniteTimeSpan);
                break;
            case CancelTimer:
                _timer?.Dispose();
                _timer = null;
                break;
            case CompleteWaiter complete:
                complete.Waiter.Complete(complete.Result);
                break;
            case FailStuckStop stuck:
                var pids = _cgroup.Pids();
                var message = $"still running after cgroup.kill: pid(s) {string.Join(',', pids)} remain";
                Record("stop", message);
                foreach (var waiter in stuck.Waiters)
                {
                    waiter.Complete(OperationResult.Failure(message));
                }

                break;
            case RecordEvent record:
                Record(record.Component, record.Message);
                break;
            case PersistOperatorStop persist:
                await PersistOperatorStopAsync(persist.Stopped);
                break;
        }
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
        var stdout = Acquire(definition.Logs.Stdout);
        var stderr = Acquire(definition.Logs.Stderr);
        try
        {
            foreach (var warning in _cgroup.Prepare(definition.Resources))
            {
                Record("cgroup", warning);
            }

            var spec = Spec(definition.Process.StartCommand, Name, stdout, stderr);
            var launched = await _context.Reaper.SpawnAsync(() => _context.Launcher.Launch(spec), l => l.Pid,
                (l, status) => Post(new MainExited(l.Pid, status)));
            _followUps.Enqueue(new MainSpawned(launched.Pid));
            Pump(launched.Stdout, stdout);
            Pump(launched.Stderr, stderr);
            _ = ExecStatus.ReadAsync(_context.Loop, launched.ExecStatus).ContinueWith(
                t => Post(new ExecCompleted(launched.Pid, t.Result)), TaskScheduler.Default);
        }
        catch (Exception e) when (e is SpawnException or Cgroups.CgroupException or IOException)
        {
            Release(stdout);
            Release(stderr);
            _followUps.Enqueue(new SpawnFailed(e.Message));
        }
    }

    private async Task SpawnStopCommandAsync()
    {
        var definition = _machine.Definition;
        var command = definition.Process.StopCommand!.Value;
        var stdout = Acquire(definition.Logs.StopCommandStdout);
        var stderr = Acquire(definition.Logs.StopCommandStderr);
        try
        {
            var spec = Spec(command, $"{Name}.stop", stdout, stderr);
            var launched = await _context.Reaper.SpawnAsync(() => _context.Launcher.Launch(spec), l => l.Pid,
                (l, status) => Post(new StopCommandExited(l.Pid, status)));
            _followUps.Enqueue(new StopCommandSpawned(launched.Pid));
            Pump(launched.Stdout, stdout);
            Pump(launched.Stderr, stderr);
            _ = ExecStatus.ReadAsync(_context.Loop, launched.ExecStatus).ContinueWith(t =>
            {
                if (t.Result is { } error)
                {
                    Record("stop", $"stop_command: {error}");
                }
            }, TaskScheduler.Default);
        }
        catch (Exception e) when (e is SpawnException or IOException)
        {
            Release(stdout);
            Release(stderr);
            _followUps.Enqueue(new StopCommandFailed(e.Message));
        }
    }

    private LaunchSpec Spec(IReadOnlyList<string> command, string label, LogFile? stdout, LogFile? stderr)
    {
        var process = _machine.Definition.Process;
        var (user, credentials) = ServiceEnvironment.ResolveCredentials(process, _context.Users);
        var environment = ServiceEnvironment.Build(process, user);
        var workingDirectory = _machine.Definition.WorkingDirectory;
        return new LaunchSpec(
            _cgroup.ProcsFiles,
            credentials,
            workingDirectory,
            command,
            ProcessTitle.Decorate(command[0], label, workingDirectory, environment),
            environment,
            stdout is null ? OutputTarget.Discard : OutputTarget.Pipe,
            stderr is null ? OutputTarget.Discard : OutputTarget.Pipe);
    }

    private LogFile? Acquire(string? path) => path is null
        ? null
        : _context.Logs.Acquire(path, RotationSettings.From(_machine.Definition.Logs), ServiceLogFiles.Owners(_machine.Definition, _context.Users));

    private void Release(LogFile? file)
    {
        if (file is not null)
        {
            _context.Logs.Release(file);
        }
    }

    private void Pump(SafeFileHandle? pipe, LogFile? file)
    {
        if (pipe is not null)
        {
            OutputPump.Start(_context.LogLoop, pipe, file, () => Release(file));
        }
    }
}
