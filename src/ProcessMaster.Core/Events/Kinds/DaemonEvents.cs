namespace ProcessMaster.Core.Events;

// What the daemon, its configuration and its operators do (the event's app is set when it concerns one service).

/// <summary>An operator's command, recorded before it takes effect (the audit trail).</summary>
/// <param name="Action"><c>start</c>, <c>stop</c>, <c>restart</c>, <c>update</c>, <c>enable</c>, <c>disable</c>, <c>flag</c>, <c>admin</c>, …</param>
/// <param name="Options">Its options as given (<c>--force --no-deps</c>).</param>
/// <param name="Effect">What it changed beyond its name (the key set in which file).</param>
public sealed record OperatorAction(string By, string Action, string? Target = null, string? Options = null, string? Effect = null) : Event;

/// <summary>Boot is done: every service is supervised and the socket answers.</summary>
public sealed record DaemonReady(int Services, string Socket) : Event;

public sealed record ShutdownBegun(string Signal, int Services) : Event;

/// <summary>Shutdown found cgroups still populated after every stop and kills them.</summary>
public sealed record ShutdownKilling(int Cgroups) : Event;

public sealed record ShutdownDone : Event;

/// <summary>A signal the daemon acts on (SIGHUP: reload).</summary>
public sealed record SignalReceived(string Signal, string Meaning) : Event;

/// <summary>A definition (or the master file) was not loaded: where and why.</summary>
/// <param name="Line">0 for a problem of the whole file.</param>
public sealed record DefinitionRejected(string File, int Line, int Column, string? Field, string Message) : Event;

/// <summary>A definition that loaded could not be admitted (its user could not be provisioned, say).</summary>
public sealed record DefinitionNotAdmitted(string Reason) : Event;

/// <summary>Something of the configuration the operator should know that did not stop anything.</summary>
public sealed record ConfigWarning(string Text) : Event;

/// <summary>A reload was not done: the master file (or the directory) could not be read; nothing changed.</summary>
public sealed record ReloadSkipped(string Problem) : Event;

/// <summary>A service's file now fails to load: it runs on its last good definition (outdated).</summary>
public sealed record DefinitionKeptOutdated : Event;

public sealed record ServiceRemoved : Event;

public sealed record Reloaded(int Added, int Removed, int Restarted, int Stopped, int Warnings) : Event;

/// <summary>A service group of a service that is no longer configured held processes: they are killed.</summary>
public sealed record StrayGroupKilled(int Processes) : Event;

/// <summary>What kept the output pipes of the earlier daemon's services (the pipe holder, systemd's fd store): what still runs of them is adopted.</summary>
public sealed record PipesRecovered(string From, int Pipes, int Services) : Event;

/// <summary>Nothing kept the earlier daemon's output pipes: what its services left is killed and they start fresh.</summary>
public sealed record PipesLost(int Services) : Event;

/// <summary>The daemon swaps its image (<c>pmctl reexec</c>, SIGUSR2, an upgrade).</summary>
public sealed record ReexecBegun(string Trigger, string Executable, long Generation) : Event;

/// <summary>The new image took over (it says so at its boot).</summary>
public sealed record Reexecuted(long Generation, string Build) : Event;

/// <summary>Control connections still open after the drain are closed by the swap.</summary>
public sealed record ReexecClosedConnections(int Connections, TimeSpan Drain) : Event;

/// <summary>The re-exec did not happen; this daemon carries on.</summary>
public sealed record ReexecAbandoned(string Reason) : Event;

public enum AdminStep
{
    Run,
    Spawned,
    Ended,
    NotStarted,
    KillAll,
}

/// <summary>An admin action: run by whom, spawned as which pid, how it ended; or every running one killed.</summary>
public sealed record AdminActionEvent(AdminStep Step, string? Id, string? By = null, string? Label = null, IReadOnlyList<string>? Argv = null,
    int? Pid = null, Interop.ExitStatus? Exit = null, string? Error = null, int? Count = null) : Event;

public sealed record WebConsoleListening(string Url) : Event;

public sealed record WebConsoleNotStarted(string Reason) : Event;

public sealed record LoginFailed(string Source) : Event;

/// <summary>Lines of the saved history could not be read back at boot.</summary>
public sealed record HistorySkipped(int Lines) : Event;

/// <summary>
/// What a part of the daemon said of its own work where its words are the fact: an I/O failure with the
/// system's message, a background task that failed, the pipe holder, the notify socket, the flags.
/// </summary>
public sealed record Notice(string Area, string Text) : Event;
