using System.Threading.Channels;
using ProcessMaster.Core.Cgroups;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Faults;

namespace ProcessMaster.Core.Supervision;

/// <summary>
/// The actor that owns one service: a loop reading its mailbox, applying each message to the
/// <see cref="ServiceStateMachine"/> and performing the effects it returns. No locks guard the state;
/// only this loop touches it. Others read the immutable <see cref="Snapshot"/>.
/// </summary>
public sealed partial class ServiceSupervisor : IAsyncDisposable
{
    private readonly Channel<ServiceMessage> _mailbox = Channel.CreateUnbounded<ServiceMessage>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Queue<ServiceMessage> _followUps = new();
    private readonly ServiceStateMachine _machine;
    private readonly SupervisorContext _context;
    private readonly ServiceCgroup _cgroup;
    private IDisposable? _watch;
    private ITimer? _timer;
    private Task _loop = Task.CompletedTask;
    private volatile ServiceSnapshot _snapshot;

    /// <summary>Why the operator's last stop or start is not in the state file, while it is not.</summary>
    private volatile string? _unsaved;

    private ServiceSupervisor(ServiceDefinition definition, SupervisorContext context)
    {
        _context = context;
        _cgroup = context.Cgroups.Service(definition.Name);
        _machine = new ServiceStateMachine(definition, context.State.IsStoppedByOperator(definition.Name));
        _snapshot = BuildSnapshot();
    }

    public string Name => _cgroup.App;

    public ServiceCgroup Cgroup => _cgroup;

    /// <summary>The latest published view of the service.</summary>
    public ServiceSnapshot Snapshot
    {
        get
        {
            var snapshot = _snapshot;
            return snapshot.NextRun == NextRun ? snapshot : snapshot with { NextRun = NextRun };
        }
    }

    /// <summary>Called with each new snapshot (on the supervisor's loop), e.g. to push live updates.</summary>
    public Action<ServiceSnapshot>? SnapshotPublished { get; set; }

    /// <summary>
    /// Creates the service's cgroups and starts its loop. Processes an earlier daemon left in the
    /// cgroup are killed first: their output pipes died with that daemon, so the service starts fresh.
    /// </summary>
    public static async Task<ServiceSupervisor> CreateAsync(ServiceDefinition definition, SupervisorContext context)
    {
        var supervisor = new ServiceSupervisor(definition, context);
        await supervisor.InitializeAsync();
        return supervisor;
    }

    private async Task InitializeAsync()
    {
        foreach (var warning in _cgroup.Prepare(_machine.Definition.Resources))
        {
            Record("cgroup", warning);
        }

        var emptied = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _watch = _context.Watcher.Watch(_cgroup.Group, populated =>
        {
            if (!populated)
            {
                emptied.TrySetResult();
            }

            Post(new CgroupChanged());
        });

        if (_cgroup.IsPopulated)
        {
            var pids = _cgroup.Pids();
            Record("reconcile", $"found {pids.Count} process(es) left by an earlier daemon ({string.Join(',', pids)}); killing them so the service starts fresh");
            _cgroup.Kill();
            if (_cgroup.IsPopulated && await Task.WhenAny(emptied.Task, Task.Delay(TimeSpan.FromSeconds(5))) != emptied.Task && _cgroup.IsPopulated)
            {
                Record("reconcile", $"processes remain after cgroup.kill: {string.Join(',', _cgroup.Pids())}");
            }
        }

        _loop = Task.Run(RunAsync);
    }

    public async Task<OperationResult> StartAsync(StartReason reason, bool force = false)
    {
        var result = await Request(waiter => new StartRequest(reason, force, waiter));
        return reason == StartReason.Operator ? Saved(result) : result;
    }

    public async Task<OperationResult> StopAsync(StopReason reason)
    {
        var result = await Request(waiter => new StopRequest(reason, waiter));
        return reason == StopReason.Operator ? Saved(result) : result;
    }

    public async Task<OperationResult> RestartAsync(bool force = false) => Saved(await Request(waiter => new RestartRequest(force, waiter)));

    /// <summary>An operator's command that was carried out but not saved fails, saying what was done and what was not.</summary>
    private OperationResult Saved(OperationResult result) =>
        result.Ok && _unsaved is { } why ? OperationResult.Failure($"{result.Message}, but {why}") : result;

    public void Post(ServiceMessage message) => _mailbox.Writer.TryWrite(message);

    private Task<OperationResult> Request(Func<OperationWaiter, ServiceMessage> create)
    {
        var waiter = new OperationWaiter();
        if (!_mailbox.Writer.TryWrite(create(waiter)))
        {
            waiter.Complete(OperationResult.Failure("the service is being removed"));
        }

        return waiter.Task;
    }

    private async Task RunAsync()
    {
        await foreach (var message in _mailbox.Reader.ReadAllAsync())
        {
            await HandleAsync(message);
            while (_followUps.TryDequeue(out var next))
            {
                await HandleAsync(next);
            }

            Background.Run("publishing the status", () =>
            {
                _snapshot = BuildSnapshot();
                SnapshotPublished?.Invoke(_snapshot);
            }, text => Record("supervisor", text));
        }
    }

    /// <summary>Nothing a message leads to may end the loop: the service would be unsupervised from then on.</summary>
    private async Task HandleAsync(ServiceMessage message)
    {
        try
        {
            Failpoints.Hit("supervisor");
            await DispatchAsync(message);
        }
        catch (Exception e)
        {
            Background.Report($"handling {message.GetType().Name}", e, text => Record("supervisor", text));
            var waiter = message switch
            {
                StartRequest r => r.Waiter,
                StopRequest r => r.Waiter,
                RestartRequest r => r.Waiter,
                _ => null,
            };
            waiter?.Complete(OperationResult.Failure($"internal error: {e.Message}"));
        }
    }

    private async Task DispatchAsync(ServiceMessage message)
    {
        // The machine decides on facts: read the populated flag fresh rather than trust a coalesced event.
        _machine.Populated = _cgroup.IsPopulated;
        var effects = _machine.Handle(message, _context.Monotonic, _context.Time.GetUtcNow());
        foreach (var effect in effects)
        {
            try
            {
                await ExecuteAsync(effect);
            }
            catch (Exception e)
            {
                Record("supervisor", $"{effect.GetType().Name} failed: {e.Message}");
            }
        }
    }

    private ServiceSnapshot BuildSnapshot() => new(
        _machine.Definition,
        _machine.State,
        _machine.StateSince,
        _machine.MainAlive ? _machine.MainPid : null,
        _machine.LastExit,
        _machine.LastError,
        _machine.LastStartAttempt,
        _machine.Restarts,
        _machine.StoppedByOperator,
        _machine.ForcedWhileDisabled,
        _machine.LastRunOvertime,
        NextRun);

    /// <summary>The next cron tick, set by the scheduler.</summary>
    public DateTimeOffset? NextRun { get; set; }

    private void Record(string component, string message) => _context.Events.Record(Name, component, message);

    /// <summary>Stops the loop; the service must already be stopped. Removes its cgroups when <paramref name="removeCgroups"/>.</summary>
    public async ValueTask DisposeAsync(bool removeCgroups)
    {
        _mailbox.Writer.TryComplete();
        await _loop;
        _timer?.Dispose();
        _watch?.Dispose();
        if (removeCgroups && !_cgroup.IsPopulated)
        {
            _cgroup.Remove();
        }

        _cgroup.Dispose();
    }

    public ValueTask DisposeAsync() => DisposeAsync(removeCgroups: false);
}
