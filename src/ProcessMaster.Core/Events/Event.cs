using System.Text.Json.Serialization;

namespace ProcessMaster.Core.Events;

/// <summary>
/// Something that happened, as a value: its type is its kind, its properties its fields. Every concrete kind is
/// declared in <c>Kinds/</c> and listed here once (its name on the wire and in the event file); its text is
/// rendered in <see cref="EventText"/> and nowhere else. A test walks the hierarchy and checks both.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind", UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization)]
[JsonDerivedType(typeof(StateChanged), "state_changed")]
[JsonDerivedType(typeof(StartFailed), "start_failed")]
[JsonDerivedType(typeof(MainEndedGroupRuns), "main_ended_group_runs")]
[JsonDerivedType(typeof(RunOvertime), "run_overtime")]
[JsonDerivedType(typeof(Adopted), "adopted")]
[JsonDerivedType(typeof(LeftoversFound), "leftovers_found")]
[JsonDerivedType(typeof(SignalSent), "signal_sent")]
[JsonDerivedType(typeof(StopProgress), "stop_progress")]
[JsonDerivedType(typeof(StopStuck), "stop_stuck")]
[JsonDerivedType(typeof(DependenciesMet), "dependencies_met")]
[JsonDerivedType(typeof(DependencyRestarted), "dependency_restarted")]
[JsonDerivedType(typeof(ScheduleTick), "schedule_tick")]
[JsonDerivedType(typeof(TickSkipped), "tick_skipped")]
[JsonDerivedType(typeof(ScheduleEnded), "schedule_ended")]
[JsonDerivedType(typeof(ProbeChanged), "probe_changed")]
[JsonDerivedType(typeof(NotifyHeard), "notify_heard")]
[JsonDerivedType(typeof(TransitionFailed), "transition_failed")]
[JsonDerivedType(typeof(SupervisorFault), "supervisor_fault")]
[JsonDerivedType(typeof(LimitNotApplied), "limit_not_applied")]
[JsonDerivedType(typeof(OperatorStopNotSaved), "operator_stop_not_saved")]
[JsonDerivedType(typeof(LogProblem), "log_problem")]
[JsonDerivedType(typeof(OperatorAction), "operator_action")]
[JsonDerivedType(typeof(DaemonReady), "daemon_ready")]
[JsonDerivedType(typeof(ShutdownBegun), "shutdown_begun")]
[JsonDerivedType(typeof(ShutdownKilling), "shutdown_killing")]
[JsonDerivedType(typeof(ShutdownDone), "shutdown_done")]
[JsonDerivedType(typeof(SignalReceived), "signal_received")]
[JsonDerivedType(typeof(DefinitionRejected), "definition_rejected")]
[JsonDerivedType(typeof(DefinitionNotAdmitted), "definition_not_admitted")]
[JsonDerivedType(typeof(ConfigWarning), "config_warning")]
[JsonDerivedType(typeof(ReloadSkipped), "reload_skipped")]
[JsonDerivedType(typeof(DefinitionKeptOutdated), "definition_kept_outdated")]
[JsonDerivedType(typeof(ServiceRemoved), "service_removed")]
[JsonDerivedType(typeof(Reloaded), "reloaded")]
[JsonDerivedType(typeof(StrayGroupKilled), "stray_group_killed")]
[JsonDerivedType(typeof(PipesRecovered), "pipes_recovered")]
[JsonDerivedType(typeof(PipesLost), "pipes_lost")]
[JsonDerivedType(typeof(ReexecBegun), "reexec_begun")]
[JsonDerivedType(typeof(Reexecuted), "reexecuted")]
[JsonDerivedType(typeof(ReexecClosedConnections), "reexec_closed_connections")]
[JsonDerivedType(typeof(ReexecAbandoned), "reexec_abandoned")]
[JsonDerivedType(typeof(AdminActionEvent), "admin_action")]
[JsonDerivedType(typeof(WebConsoleListening), "web_console_listening")]
[JsonDerivedType(typeof(WebConsoleNotStarted), "web_console_not_started")]
[JsonDerivedType(typeof(LoginFailed), "login_failed")]
[JsonDerivedType(typeof(HistorySkipped), "history_skipped")]
[JsonDerivedType(typeof(Repeated), "repeated")]
[JsonDerivedType(typeof(EventsHeldBack), "events_held_back")]
[JsonDerivedType(typeof(Notice), "notice")]
public abstract record Event
{
    /// <summary>The kind's name (<c>state_changed</c>): what the event file and the RPC API call it.</summary>
    [JsonIgnore]
    public string Kind => EventJson.KindOf(GetType());

    /// <summary>The part of the daemon it comes from, shown in brackets (<c>[stop]</c>).</summary>
    [JsonIgnore]
    public string Component => EventText.Component(this);

    /// <summary>The sentence users read (<c>pmctl events</c>, the console, the daemon log).</summary>
    public string Render() => EventText.Render(this);
}
