using System.Threading.Channels;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Events;
using ProcessMaster.Core.Faults;
using ProcessMaster.Core.Supervision.Ports;

namespace ProcessMaster.Core.Supervision;

/// <summary>
/// The actor that owns one service: a loop reading its mailbox, applying each message to the
/// <see cref="ServiceStateMachine"/> and performing the effects it returns. No locks guard the state;
/// only this loop touches it, and every decision is the machine's. Others read the immutable
/// <see cref="Snapshot"/>.
/// </summary>
public sealed partial class ServiceSupervisor : IAsyncDisposable
{
    private readonly Channel<ServiceMessage> _mailbox = Channel.CreateUnbounded<ServiceMessage>(new UnboundedChannelOptions { SingleReader = true });

    private readonly Queue<ServiceMessage> _followUps = new();

    /// <summary>Answers to callers, given once the state they report is published.</summary>
    private readonly List<Action> _answers = [];

    private readonly ServiceStateMachine _machine;
    private readonly SupervisorContext _context;
    private readonly IServiceCgroup _cgroup;
    private readonly IDisposable _watch;
    private ITimer? _timer;
    private ITimer? _scheduleTimer;
    private readonly Dictionary<ProbeKind, ITimer> _probeTimers = [];
    private IDisposable? _mainWatch;
    private (ServiceDefinition Definition, string Digest) _fingerprint;

    /// <summary>What was last published and saved: a message that changed nothing is not published again.</summary>
    private (ServiceMachineState? State, ServiceDefinition? Definition) _published;
    private readonly Task _loop;
    private volatile ServiceSnapshot _snapshot;

    /// <summary>Why the operator's last stop or start is not in the state file, while it is not.</summary>
    private volatile string? _unsaved;

    /// <summary>The run in which a MAINPID= outside the service's cgroup was last reported (-1: none).</summary>
    private long _mainPidIgnoredInRun = -1;

    /// <summary>What writing the limits last warned about: a crash loop does not repeat it at every start.</summary>
    private IReadOnlyList<string> _limitWarnings = [];

    /// <summary>
    /// Creates the service's cgroups, watches them and starts the loop. Its first message adopts (or
    /// kills) what an earlier daemon left in the cgroup and arms a cron job's schedule.
    /// </summary>
    public ServiceSupervisor(ServiceDefinition definition, SupervisorContext context)
    {
        _context = context;
        _cgroup = context.Cgroups.Service(definition.Name);
        _fingerprint = (definition, DefinitionFingerprint.Of(definition));
        var stoppedByOperator = context.State.IsStoppedByOperator(definition.Name);
        var saved = context.Records.Saved(definition.Name);
        _machine = saved is null
            ? new ServiceStateMachine(definition, stoppedByOperator)
            : new ServiceStateMachine(definition, ServiceStateMachine.Resumable(saved.State, stoppedByOperator));
        _snapshot = BuildSnapshot();
        // An earlier daemon prepared the groups for this very definition: its limits are in place.
        var prepared = saved?.Fingerprint == _fingerprint.Digest && saved.State.State != ServiceState.Stopped;
        if (!prepared)
        {
            PrepareCgroup(definition);
        }

        _watch = context.Cgroups.Watch(_cgroup, _ => Post(new CgroupChanged()));
        Post(new SupervisionStarted(saved is null ? null : new Adoption(LiveMain(saved.State.Run.MainPid))));
        if (saved is not null && saved.Fingerprint != _fingerprint.Digest && (saved.State.State.IsActive() || saved.State.State == ServiceState.Backoff))
        {
            Record(new Adopted(AdoptionOutcome.DefinitionChanged));
            Post(new DefinitionChanged(definition));
        }

        _loop = Task.Run(RunAsync);
    }

    /// <summary>The saved main pid if that process is still in the service's cgroup (a reused pid would not be).</summary>
    private int? LiveMain(int? pid) => pid is { } p && _cgroup.Pids().Contains(p) ? p : null;

    public string Name => _cgroup.App;

    public IServiceCgroup Cgroup => _cgroup;

    /// <summary>The latest published view of the service.</summary>
    public ServiceSnapshot Snapshot => _snapshot;

    /// <summary>Called with each new snapshot (on the supervisor's loop), e.g. to push live updates.</summary>
    public Action<ServiceSnapshot>? SnapshotPublished { get; set; }

    /// <param name="noDeps">Start now, whatever the dependencies.</param>
    /// <param name="by">Who gave an operator's command.</param>
    public async Task<OperationOutcome> StartAsync(StartReason reason, bool force = false, bool noDeps = false, string? by = null)
    {
        var result = await Request(waiter => new StartRequest(reason, force, waiter, noDeps, by));
        return reason == StartReason.Operator ? Saved(result) : result;
    }

    public async Task<OperationOutcome> StopAsync(StopReason reason, string? by = null)
    {
        var result = await Request(waiter => new StopRequest(reason, waiter, by));
        return reason == StopReason.Operator ? Saved(result) : result;
    }

    public async Task<OperationOutcome> RestartAsync(bool force = false, bool noDeps = false, string? by = null) =>
        Saved(await Request(waiter => new RestartRequest(force, waiter, noDeps, by)));

    /// <summary>Sends <paramref name="signal"/> to the service's processes, or its main process only.</summary>
    public Task<OperationOutcome> SignalAsync(int signal, bool mainOnly) => Request(waiter => new SignalRequest(signal, mainOnly, waiter));

    /// <summary>
    /// Hands the service a reloaded definition; the machine decides what that means for what runs. When it
    /// restarts (or starts), <c>Started</c> completes once it runs again, or did not manage to.
    /// </summary>
    public async Task<(ReloadAction Action, Task<OperationOutcome> Started)> ChangeDefinitionAsync(ServiceDefinition definition)
    {
        var reply = new Reply<ReloadAction>();
        var started = new OperationWaiter();
        if (!_mailbox.Writer.TryWrite(new DefinitionChanged(definition, reply, started)))
        {
            reply.Complete(ReloadAction.Updated);
            started.Complete(OperationOutcome.Failure("the service is being removed", OutcomeCode.Cancelled));
        }

        return (await reply.Task, started.Task);
    }

    /// <summary>Tells the service what one of its dependencies is now.</summary>
    public void DependencyChanged(string name, DependencyStatus status) => Post(new DependencyChanged(name, status));

    /// <summary>The service spoke sd_notify, from <paramref name="pid"/> (a process of its cgroup).</summary>
    public void Notify(int pid, NotifyMessage message)
    {
        if (message.MainPid is { } main && !_cgroup.Pids().Contains(main))
        {
            // A main pid outside the service's cgroup would have the daemon watch (and kill) someone else's process.
            // Said once per run: a service that repeats it must not fill the history.
            var run = _machine.Current.Run.Number;
            if (Interlocked.Exchange(ref _mainPidIgnoredInRun, run) != run)
            {
                Record(new NotifyHeard(NotifyKind.MainPidIgnored, main, pid));
            }

            message = message with { MainPid = null };
        }

        Post(new Notified(message));
    }

    /// <summary>An operator's command that was carried out but not saved fails, saying what was done and what was not.</summary>
    private OperationOutcome Saved(OperationOutcome result) =>
        result.Ok && _unsaved is { } why ? OperationOutcome.Failure($"{result.Message}, but {why}") : result;

    private void Post(ServiceMessage message) => _mailbox.Writer.TryWrite(message);

    private Task<OperationOutcome> Request(Func<OperationWaiter, ServiceMessage> create)
    {
        var waiter = new OperationWaiter();
        if (!_mailbox.Writer.TryWrite(create(waiter)))
        {
            waiter.Complete(OperationOutcome.Failure("the service is being removed", OutcomeCode.Cancelled));
        }

        return waiter.Task;
    }

    /// <summary>
    /// Holds the supervisor between two messages until <paramref name="resume"/> completes (a re-exec):
    /// nothing is half done, and the state it saved last is final. Completes once it holds.
    /// </summary>
    public Task PauseAsync(Task resume)
    {
        var pause = new Pause(new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), resume);
        if (!_mailbox.Writer.TryWrite(pause))
        {
            pause.Held.TrySetResult();
        }

        return pause.Held.Task;
    }

    /// <summary>Not the machine's: the supervisor's own request to hold still.</summary>
    private sealed record Pause(TaskCompletionSource Held, Task Resume) : ServiceMessage;

    private async Task RunAsync()
    {
        await foreach (var message in _mailbox.Reader.ReadAllAsync())
        {
            if (message is Pause pause)
            {
                pause.Held.TrySetResult();
                await pause.Resume;
                continue;
            }

            await HandleAsync(message);
            while (_followUps.TryDequeue(out var next))
            {
                await HandleAsync(next);
            }

            if (!_machine.Current.Equals(_published.State) || !ReferenceEquals(_machine.Definition, _published.Definition))
            {
                Background.Run("publishing the status", Publish, text => Record(new Notice("supervisor", text)));
            }

            // Callers hear the outcome only now, so a status asked right after shows it.
            foreach (var answer in _answers)
            {
                answer();
            }

            _answers.Clear();
        }
    }

    /// <summary>
    /// Nothing a message leads to may end the loop: the service would be unsupervised from then on. The machine
    /// undoes a transition that fails and says what to do about it (<see cref="TransitionUndone"/>); each effect
    /// that fails is reported on its own; this guard is for whatever is left.
    /// </summary>
    private async Task HandleAsync(ServiceMessage message)
    {
        try
        {
            await DispatchAsync(message);
        }
        catch (Exception e)
        {
            Background.Report($"handling {message.GetType().Name}", e, text => Record(new Notice("supervisor", text)));
        }
    }

    private async Task DispatchAsync(ServiceMessage message)
    {
        // The machine decides on facts: read the populated flag fresh rather than trust a coalesced event.
        IReadOnlyList<ServiceEffect> effects;
        try
        {
            effects = _machine.Handle(message, new Observation(_context.Monotonic, _context.Time.GetUtcNow(), _cgroup.IsPopulated));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CgroupException)
        {
            effects = _machine.Unobserved(message, e);
        }

        foreach (var effect in effects)
        {
            try
            {
                await ExecuteAsync(effect);
            }
            catch (Exception e)
            {
                Record(new SupervisorFault(effect.GetType().Name, e.Message));
            }
        }
    }

    private void Publish()
    {
        _published = (_machine.Current, _machine.Definition);
        _snapshot = BuildSnapshot();
        _context.Records.Save(Name, new SavedService(Fingerprint(), _machine.Current));
        SnapshotPublished?.Invoke(_snapshot);
    }

    private string Fingerprint()
    {
        if (!ReferenceEquals(_fingerprint.Definition, _machine.Definition))
        {
            _fingerprint = (_machine.Definition, DefinitionFingerprint.Of(_machine.Definition));
        }

        return _fingerprint.Digest;
    }

    private ServiceSnapshot BuildSnapshot()
    {
        var s = _machine.Current;
        var definition = _machine.Definition;
        return new ServiceSnapshot(
            definition,
            s.State,
            s.StateSince,
            s.Run.MainAlive ? s.Run.MainPid : null,
            s.LastExit,
            s.LastError,
            s.Run.StartedAt,
            s.Restarts.Count,
            s.Restarts.StoppedByOperator,
            s.Restarts.ForcedWhileDisabled,
            s.Run.Overtime,
            s.LastRunDuration,
            s.Schedule.NextRun,
            s.Probes.Ready,
            ServiceStateMachine.Health(definition, s),
            s.State == ServiceState.Waiting ? ServiceStateMachine.WaitingFor(definition, s) : null,
            s.Run.NotifyStatus,
            s.Run.Number,
            Interlocked.Increment(ref s_snapshots));
    }

    /// <summary>Snapshots built by every supervisor: each one's number is higher than all before it.</summary>
    private static long s_snapshots;

    /// <summary>Creates the groups and writes the limits; a warning is recorded when it is new since the last time.</summary>
    private void PrepareCgroup(ServiceDefinition definition)
    {
        var warnings = _cgroup.Prepare(definition.Resources);
        foreach (var warning in warnings.Except(_limitWarnings, StringComparer.Ordinal))
        {
            Record(new LimitNotApplied(warning));
        }

        _limitWarnings = warnings;
    }

    private void Record(Event e) => _context.Events.Record(Name, e, EventOrigin.Service);

    /// <summary>Stops the loop; the service must already be stopped. Removes its cgroups when <paramref name="removeCgroups"/>.</summary>
    public async ValueTask DisposeAsync(bool removeCgroups)
    {
        _mailbox.Writer.TryComplete();
        await _loop;
        _timer?.Dispose();
        _scheduleTimer?.Dispose();
        CancelProbeTimers();
        _mainWatch?.Dispose();
        _watch.Dispose();
        if (removeCgroups && !_cgroup.IsPopulated)
        {
            _cgroup.Remove();
        }

        _cgroup.Dispose();
    }

    public ValueTask DisposeAsync() => DisposeAsync(removeCgroups: false);
}
