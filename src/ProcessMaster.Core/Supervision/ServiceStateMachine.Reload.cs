namespace ProcessMaster.Core.Supervision;

/// <summary>What a changed definition did to its service.</summary>
public enum ReloadAction
{
    /// <summary>The new definition was taken; nothing was started or stopped (cron job, operator's stop, disabled and idle).</summary>
    Updated,

    /// <summary>It was running (or about to): it restarts with the new definition.</summary>
    Restarting,

    /// <summary>It was not running: it starts with the new definition.</summary>
    Starting,

    /// <summary>It was disabled: it is being stopped.</summary>
    Stopping,

    /// <summary>Taking it failed (and was undone): the service keeps the definition it had, which is outdated now.</summary>
    Failed,
}

/// <summary>A reloaded definition: the machine takes it and decides what it means for what runs.</summary>
public sealed partial class ServiceStateMachine
{
    private void OnDefinitionChanged(DefinitionChanged changed)
    {
        var active = _s.State.IsActive() || _s.State == ServiceState.Backoff;
        if (changed.Definition.Schedule != Definition.Schedule)
        {
            _s = _s with { Schedule = _s.Schedule with { EndReported = false } };
        }

        Definition = changed.Definition;
        _s = _s with { Schedule = _s.Schedule with { Halted = false } };
        ArmSchedule();
        var action = Decide(active);
        if (action is ReloadAction.Restarting or ReloadAction.Starting)
        {
            Add(changed.Started, _startWaiters); // otherwise nobody waits for it: nothing starts
        }

        if (changed.Reply is { } reply)
        {
            Effect(new CompleteReload(reply, action));
        }
    }

    private ReloadAction Decide(bool active)
    {
        if (!Definition.Enabled)
        {
            if (!active)
            {
                return ReloadAction.Updated;
            }

            OnStop(Supervision.StopReason.Disabled, null);
            return ReloadAction.Stopping;
        }

        if (Definition.IsCron || _s.Restarts.StoppedByOperator)
        {
            return ReloadAction.Updated;
        }

        RestartNow(StartReason.Reload);
        return active ? ReloadAction.Restarting : ReloadAction.Starting;
    }
}
