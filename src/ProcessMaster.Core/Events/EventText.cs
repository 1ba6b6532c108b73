using System.Diagnostics;
using System.Globalization;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Configuration.Values;
using ProcessMaster.Core.Supervision;

namespace ProcessMaster.Core.Events;

/// <summary>
/// The one place an event becomes text: the part of the daemon it is shown under and the sentence users read
/// (<c>pmctl events</c>, the web console, the daemon log, the text kept in the event file).
/// </summary>
public static class EventText
{
    public static string Component(Event e) => e switch
    {
        StateChanged => "state",
        StartFailed => "start",
        MainEndedGroupRuns => "watch",
        RunOvertime => "overtime",
        Adopted or PipesRecovered or PipesLost => "adopt",
        LeftoversFound or StrayGroupKilled => "reconcile",
        SignalSent or StopProgress or StopStuck => "stop",
        DependenciesMet or DependencyRestarted => "deps",
        ScheduleTick or TickSkipped or ScheduleEnded => "schedule",
        ProbeChanged => "health",
        NotifyHeard => "notify",
        TransitionFailed or SupervisorFault => "supervisor",
        LimitNotApplied => "cgroup",
        OperatorStopNotSaved => "state",
        LogProblem => "logs",
        OperatorAction => "operator",
        DaemonReady => "boot",
        ShutdownBegun or ShutdownKilling or ShutdownDone => "shutdown",
        SignalReceived => "signal",
        DefinitionRejected or DefinitionNotAdmitted or ConfigWarning => "config",
        ReloadSkipped or DefinitionKeptOutdated or ServiceRemoved or Reloaded => "reload",
        ReexecBegun or Reexecuted or ReexecClosedConnections or ReexecAbandoned => "reexec",
        AdminActionEvent => "admin_action",
        WebConsoleListening or WebConsoleNotStarted or LoginFailed => "web",
        HistorySkipped or EventsHeldBack => "events",
        Repeated repeated => Component(repeated.Original),
        Notice notice => notice.Area,
        _ => throw Unlisted(e),
    };

    public static string Render(Event e) => e switch
    {
        StateChanged c => c.From == c.To ? c.Reason : $"{c.From.Name()} -> {c.To.Name()}: {c.Reason}",
        StartFailed f => $"start failed: {f.Error}",
        MainEndedGroupRuns m => $"main process {m.Pid} ended ({m.Exit}); other processes remain in the cgroup, still running",
        RunOvertime o => $"run exceeded max_time_per_run={DurationText.Format(o.Limit)}; stopping it",
        Adopted a => Adoption(a),
        LeftoversFound l => $"found {l.Pids.Count} process(es) left by an earlier daemon ({string.Join(',', l.Pids)}); killing them so the service starts fresh",
        SignalSent { MainPid: { } main } s => s.Processes == 1
            ? $"sent {SignalName.Format(s.Signal)} to the main process ({main})"
            : $"{SignalName.Format(s.Signal)} not sent: the main process ({main}) is no longer in the service's cgroup",
        SignalSent s => $"sent {SignalName.Format(s.Signal)} to {s.Processes} process(es)",
        StopProgress p => Stop(p),
        StopStuck s => $"still running after cgroup.kill: pid(s) {string.Join(',', s.Pids)} remain",
        DependenciesMet => "dependencies met",
        DependencyRestarted d => $"{d.Dependency} was restarted and is {d.Condition} again; restarting",
        ScheduleTick t => $"{Tick(t.At)}: starting a run",
        TickSkipped t => t.Why switch
        {
            TickSkip.StillRunning => $"{Tick(t.At)} skipped: the previous run is still {t.State.Name()}",
            TickSkip.ProcessesLeft => $"{Tick(t.At)} skipped: processes of the previous run are still in its cgroup",
            TickSkip.Disabled => $"{Tick(t.At)} skipped: disabled",
            _ => throw Unlisted(e),
        },
        ScheduleEnded s => s.NotAfter is { } end
            ? $"no further runs: not_after {end.ToLocalTime():yyyy-MM-dd HH:mm:ss} {(s.Passed ? "has passed" : "comes before the next tick")}"
            : "no further runs: the schedule has no future occurrence",
        ProbeChanged p => Probe(p),
        NotifyHeard n => n.What switch
        {
            NotifyKind.MainPid => $"the main process is now {n.Pid} (MAINPID=)",
            NotifyKind.MainPidIgnored => $"ignored MAINPID={n.Pid} from pid {n.From}: not a process of the service (said once per run)",
            NotifyKind.Stopping => "the service says it is stopping (STOPPING=1)",
            _ => throw Unlisted(e),
        },
        TransitionFailed t => $"handling {t.Message} in {t.State.Name()} failed: {t.Error}; nothing was changed" + (t.RetryIn is { } delay
            ? $"; it is handled again in {delay.TotalSeconds:0} s (attempt {t.Attempt} of {ServiceStateMachine.MaxRetries})"
            : t.Fact ? $"; given up after {ServiceStateMachine.MaxRetries} retries, the state may be stale until the service's next event" : ""),
        SupervisorFault f => $"{f.Activity} failed: {f.Error}",
        LimitNotApplied l => l.Detail,
        OperatorStopNotSaved n => $"the {(n.Stopped ? "stop" : "start")} could not be saved in the state file ({n.Error}); " +
                                  $"after a daemon restart the service will {(n.Stopped ? "start again" : "stay stopped")}",
        LogProblem l => l.Detail,
        OperatorAction o => $"{o.Action}{Space(o.Target)}{Space(o.Options)} by {o.By}{(o.Effect is null ? "" : $": {o.Effect}")}",
        DaemonReady r => $"ready: {r.Services} service(s) loaded, socket {r.Socket}",
        ShutdownBegun s => $"{s.Signal}: stopping {s.Services} service(s)",
        ShutdownKilling k => $"{k.Cgroups} service cgroup(s) still populated; killing them",
        ShutdownDone => "done; every service cgroup is empty",
        SignalReceived s => $"{s.Signal}: {s.Meaning}",
        DefinitionRejected r => $"not loaded: {new ConfigError(r.File, r.Line, r.Column, r.Field, r.Message)}",
        DefinitionNotAdmitted n => $"not loaded: {n.Reason}",
        ConfigWarning w => $"warning: {w.Text}",
        ReloadSkipped s => $"update skipped: {s.Problem}; running services are untouched",
        DefinitionKeptOutdated => "definition file failed to load; keeping the last good definition (outdated)",
        ServiceRemoved => "service is no longer defined; stopping and removing it",
        Reloaded r => $"definitions reloaded: {r.Added} added, {r.Removed} removed, {r.Restarted} restarted, {r.Stopped} stopped (disabled), {r.Warnings} warning(s)",
        StrayGroupKilled s => $"service is no longer configured; killing its {s.Processes} leftover process(es)",
        PipesRecovered p => $"{p.From} kept {p.Pipes} output pipe(s); adopting what still runs of {p.Services} service(s)",
        PipesLost p => $"no pipe holder was running (it ended with the earlier daemon) and nothing else kept the output pipes of {p.Services} service(s): what they left is killed and they start fresh",
        ReexecBegun r => $"{r.Trigger}: re-executing {r.Executable} (generation {r.Generation} -> {r.Generation + 1})",
        Reexecuted r => $"re-executed in place as generation {r.Generation} ({r.Build})",
        ReexecClosedConnections c => $"{c.Connections} control connection(s) still open after {c.Drain.TotalSeconds:0} s are closed by the swap",
        ReexecAbandoned a => $"{a.Reason}; this daemon carries on",
        AdminActionEvent a => Admin(a),
        WebConsoleListening w => $"web console listening on {w.Url}",
        WebConsoleNotStarted n => $"web console not started: {n.Reason}",
        LoginFailed l => $"failed login from {l.Source}",
        HistorySkipped h => $"{h.Lines} line(s) of the saved history could not be read back (torn by a crash, longer than {EventHistoryReader.MaxLineBytes / 1024} KiB, or malformed) and were skipped",
        Repeated r => string.Create(CultureInfo.InvariantCulture, $"{Render(r.Original)} (repeated {r.Times} more time(s))"),
        EventsHeldBack h => string.Create(CultureInfo.InvariantCulture,
            $"{h.Count} event(s) of this service were not recorded: it had more than {h.Burst} at once or {h.PerSecond} a second"),
        Notice n => n.Text,
        _ => throw Unlisted(e),
    };

    private static string Adoption(Adopted a) => a.Outcome switch
    {
        AdoptionOutcome.Running => $"adopted: main process {a.Pid} running{(a.Since is { } t ? $" since {t:yyyy-MM-dd HH:mm:ss}Z" : "")}, {a.Restarts} restart(s)",
        AdoptionOutcome.MainEnded => "adopted: its main process ended while no daemon ran; the processes left in its cgroup still run",
        AdoptionOutcome.Ended => "ended while no daemon ran (exit status unknown)",
        AdoptionOutcome.StopFinished => "a stop was under way; finishing it with cgroup.kill",
        AdoptionOutcome.RestartPending => "was waiting to restart; restarting after its backoff",
        AdoptionOutcome.StillWaiting => $"was waiting for {a.Detail}; still waiting",
        AdoptionOutcome.DefinitionChanged => "its definition changed while no daemon ran; applying it as a reload would",
        _ => throw Unlisted(a),
    };

    private static string Stop(StopProgress p) => p.Step switch
    {
        StopStep.CommandRunning => "running stop_command",
        StopStep.GraceStarted => $"waiting up to {DurationText.Format(p.Grace ?? TimeSpan.Zero)} before cgroup.kill",
        StopStep.CommandNotStarted => $"stop_command could not be started ({p.Error}){Follows(p)}",
        StopStep.CommandNotExecuted => $"stop_command: {p.Error}",
        StopStep.CommandSucceeded => $"stop_command succeeded{Follows(p)}",
        StopStep.CommandFailed => $"stop_command failed ({p.Exit}){Follows(p)}",
        StopStep.CommandTimedOut => "stop_command did not finish within the grace period; killing everything (cgroup.kill)",
        StopStep.GraceExpired => "grace period expired; killing what is left (cgroup.kill)",
        _ => throw Unlisted(p),
    };

    private static string Follows(StopProgress p) => p.SignalFollows is { } signal ? $"; sending {SignalName.Format(signal)}" : "";

    private static string Probe(ProbeChanged p) => p.Verdict switch
    {
        ProbeVerdict.Healthy => p.Check is null ? "healthy: the service said READY=1" : $"healthy: {p.Check} passed",
        ProbeVerdict.Unhealthy => $"unhealthy: {p.Check} failed {p.Failures} time(s) in a row: {p.Detail}",
        ProbeVerdict.NotReady => $"not ready yet: {p.Check} failed {p.Failures} time(s) in a row: {p.Detail}",
        ProbeVerdict.LivenessFailed => $"liveness probe ({p.Check}) failed {p.Failures} time(s) in a row: {p.Detail}; restarting it",
        ProbeVerdict.WatchdogExpired => $"no WATCHDOG=1 within {DurationText.Format(p.Interval ?? TimeSpan.Zero)}: the service is hung; restarting it",
        _ => throw Unlisted(p),
    };

    private static string Admin(AdminActionEvent a) => a.Step switch
    {
        AdminStep.Run => $"run id={a.Id} label=\"{a.Label}\" argv={string.Join(' ', a.Argv ?? [])} by {a.By}",
        AdminStep.Spawned => $"spawned id={a.Id} pid={a.Pid}",
        AdminStep.Ended => $"id={a.Id} pid={a.Pid} ended ({a.Exit})",
        AdminStep.NotStarted => $"id={a.Id} could not start: {a.Error}",
        AdminStep.KillAll => $"kill all (pids_before={a.Count}) by {a.By}",
        _ => throw Unlisted(a),
    };

    private static string Tick(DateTimeOffset at) => $"tick {at.ToLocalTime():yyyy-MM-dd HH:mm:ss}";

    private static string Space(string? word) => word is null ? "" : $" {word}";

    private static UnreachableException Unlisted(Event e) => new($"{e.GetType().Name} has no text");
}
