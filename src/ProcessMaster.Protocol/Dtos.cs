using System.Text.Json.Serialization;

namespace ProcessMaster.Protocol;

// Parameters and results of every method. JSON names are snake_case (see ProtocolJsonContext);
// docs/protocol.md documents them. Optional members are nullable; absent means default.

public sealed record HelloParams(string BuildTime, string BuildHost, string BuildId);

/// <param name="Generation">Which daemon this is since the host booted (one more after each re-exec or restart).</param>
public sealed record HelloResult(BuildIdentity Daemon, string Description, int Generation = 0);

/// <summary>A re-exec was accepted: <paramref name="Generation"/> is the image that answers; the next one is one more.</summary>
public sealed record ReexecResult(string Message, int Generation);

public sealed record NameParams(string Name);

public sealed record OptionalNameParams(string? Name = null);

public sealed record StatusResult(DateTimeOffset GeneratedAt, List<ServiceStatus> Services);

/// <summary>One service as <c>status</c> reports it. Stable: fields are only ever added.</summary>
public sealed record ServiceStatus
{
    public required string Name { get; init; }

    /// <summary><c>service</c> or <c>cron</c>.</summary>
    public required string Kind { get; init; }

    /// <summary>STOPPED, STARTING, RUNNING, STOPPING, BACKOFF, FAILED, EXITED or WAITING.</summary>
    public required string State { get; init; }

    public DateTimeOffset? StateSince { get; init; }

    public required bool Enabled { get; init; }

    /// <summary>Every process in the service's cgroup subtree, sorted.</summary>
    public required List<int> Pids { get; init; }

    public int? MainPid { get; init; }

    /// <summary>Seconds since the service entered RUNNING (null unless running).</summary>
    public double? UptimeSeconds { get; init; }

    /// <summary>Automatic restarts since an operator last started it.</summary>
    public int Restarts { get; init; }

    public int? LastExitCode { get; init; }

    public string? LastExitSignal { get; init; }

    public string? LastError { get; init; }

    /// <summary>The main process's resource limits (<c>process.limits</c> names); only when one service is asked for and it runs.</summary>
    public List<LimitStatus>? Limits { get; init; }

    /// <summary>When the last start (run) was attempted.</summary>
    public DateTimeOffset? LastRun { get; init; }

    public DateTimeOffset? NextRun { get; init; }

    public string? Schedule { get; init; }

    public bool LastRunOvertime { get; init; }

    /// <summary>How long the last run that ended took, from its start until its last process was gone.</summary>
    public double? LastRunDurationSeconds { get; init; }

    public bool StoppedByOperator { get; init; }

    public required string Cgroup { get; init; }

    public required string WorkingDirectory { get; init; }

    public string? SourceFile { get; init; }

    public long? MemoryBytes { get; init; }

    public long? MemoryLimitBytes { get; init; }

    public long? CpuUsageUsec { get; init; }

    /// <summary>CPU use in percent of one core, over the time since the previous status (or since start).</summary>
    public double? CpuPercent { get; init; }

    public bool ProvisioningDefined { get; init; }

    public string? ProvisioningMarker { get; init; }

    public bool ProvisioningMarkerExists { get; init; }

    /// <summary>Set when the definition on disk failed to load and this one is the last good one.</summary>
    public bool Outdated { get; init; }

    /// <summary>While RUNNING with probes: <c>starting</c> (not ready yet), <c>healthy</c> or <c>unhealthy</c>.</summary>
    public string? Health { get; init; }

    /// <summary>While WAITING: the dependencies not met yet, e.g. <c>db (healthy)</c>.</summary>
    public string? WaitingFor { get; init; }

    /// <summary>What the service last said with sd_notify <c>STATUS=</c>.</summary>
    public string? NotifyStatus { get; init; }

    /// <summary>The services it depends on.</summary>
    public List<string> DependsOn { get; init; } = [];

    /// <summary>Labels operators put on it (<c>pmctl flag</c>), by name; they change nothing about how it runs.</summary>
    public List<ServiceFlag> Flags { get; init; } = [];
}

public sealed record EventsParams(string? Name = null, int N = 200);

/// <param name="Kind">The event's kind (<c>state_changed</c>); see docs/architecture.md for every kind and its fields.</param>
/// <param name="Event">The event's fields, with its kind.</param>
public sealed record EventRecord(DateTimeOffset Ts, string? App, string Component, string Message, string? Kind = null, System.Text.Json.JsonElement? Event = null);

public sealed record EventsResult(List<EventRecord> Events);

/// <param name="NoDeps">Start without starting (or waiting for) what it depends on; stop without stopping what depends on it.</param>
public sealed record TargetParams(string Name, bool Force = false, bool NoDeps = false);

/// <param name="Names">Services, or <c>all</c> (every service that has processes now).</param>
/// <param name="Signal">A name (<c>SIGHUP</c>, <c>HUP</c>) or a number.</param>
/// <param name="Main">The main process only, not the whole cgroup.</param>
public sealed record SignalParams(List<string> Names, string Signal, bool Main = false);

/// <param name="Code">What became of it: <c>ok</c>, <c>already_running</c>, <c>already_stopped</c>, <c>skipped</c>, <c>waiting</c>, <c>pending</c>, <c>refused</c>, <c>cancelled</c>, <c>failed</c>.</param>
public sealed record TargetOutcome(string Name, bool Ok, string Message, string? Code = null);

public sealed record OperationResult(bool Ok, List<TargetOutcome> Results);

public sealed record LogsParams(string Name, int N = 50);

/// <param name="Offset">For <c>logs.follow</c>: the byte offset in the file at which following begins.</param>
public sealed record LogTail(string Path, List<string> Lines, long? Offset = null);

public sealed record LogsResult(List<LogTail> Files);

/// <param name="Resume">Where a follow cut by a re-exec stopped: each file is read on from its offset (lines the cut left unread included).</param>
public sealed record LogsFollowParams(string? Name = null, string? Filename = null, int N = 50, List<LogPosition>? Resume = null);

/// <summary>A byte offset in a followed file, just past the last line seen.</summary>
public sealed record LogPosition(string Path, long Offset);

public sealed record LogsFollowResult(List<LogTail> Files);

/// <summary>Notification <c>logs.line</c>: one new line of a followed file.</summary>
/// <param name="Offset">The byte offset just past the line, to resume from after a re-exec.</param>
public sealed record LogLine(string Path, string Line, long Offset);

/// <summary>Notification <c>logs.rotated</c>: a followed file was rotated or truncated; reading restarts at its start.</summary>
public sealed record LogRotated(string Path);

/// <param name="After">Also replays every event later than this (a follow cut by a re-exec resumes from its last event).</param>
public sealed record EventsFollowParams(string? Name = null, int N = 0, DateTimeOffset? After = null);

/// <summary>
/// Notification <c>daemon.reexecuting</c>, to every connection, just before the daemon re-executes itself and
/// closes them: reconnect (the next generation answers on the same socket) and resume what was followed.
/// </summary>
public sealed record ReexecNotice(int Generation);

/// <summary>One resource limit of a running process: <c>unlimited</c> or a number (bytes for sizes).</summary>
public sealed record LimitStatus(string Name, string Soft, string Hard);

/// <param name="IntervalMs">Besides every change, the status is sent this often (for usage charts); 0: only on changes.</param>
public sealed record StatusFollowParams(int IntervalMs = 0);

public sealed record MessageResult(string Message);

/// <param name="Stopped">Services stopped because their definition now disables them (disable, or an edited file).</param>
/// <param name="Errors">What did not take effect (a file that fails to load, a refused definition, a restart that did not come back); pmctl exits 1.</param>
public sealed record UpdateResult(string Message, List<string> Added, List<string> Removed, List<string> Restarted, List<string> Stopped, List<string> Warnings, List<string> Errors);

/// <param name="CpuQuotaCores">The CPU quota in cores (cpu.max quota / period); null: no quota.</param>
/// <param name="CpuThrottling">From cpu.stat (v1: the cpu hierarchy's); null where the host does not count it.</param>
/// <param name="IoWeight">The configured io_weight; null: the kernel's default (100).</param>
/// <param name="IoMax">The I/O ceilings in force, one line per disk in io.max's form (v1's blkio.throttle rules written the same way).</param>
/// <param name="Io">I/O done since the group was made (io.stat, v1 blkio.throttle.io_service_bytes/io_serviced); null without the io controller.</param>
public sealed record PerfMetrics(
    string App,
    string Cgroup,
    long? MemoryCurrent,
    long? MemoryMax,
    long? SwapCurrent,
    long? SwapMax,
    string? CpuMax,
    Dictionary<string, long> CpuStat,
    Pressure? CpuPressure,
    Pressure? MemoryPressure,
    Pressure? IoPressure,
    List<int> Pids,
    double? CpuQuotaCores = null,
    CpuThrottlingInfo? CpuThrottling = null,
    int? IoWeight = null,
    List<string>? IoMax = null,
    IoUsage? Io = null);

/// <param name="Periods">Enforcement periods in which the group ran.</param>
/// <param name="Throttled">Periods in which it had used up its quota and waited.</param>
public sealed record CpuThrottlingInfo(long Periods, long Throttled, double ThrottledSeconds);

/// <summary>I/O per disk and in total.</summary>
public sealed record IoUsage(List<IoDeviceUsage> Devices, long ReadBytes, long WriteBytes, long ReadOps, long WriteOps);

/// <param name="Device">MAJ:MIN.</param>
/// <param name="Name">The kernel's name for it (vda), or MAJ:MIN.</param>
public sealed record IoDeviceUsage(string Device, string Name, long ReadBytes, long WriteBytes, long ReadOps, long WriteOps);

/// <summary>An operator's label on a service; <paramref name="ExpiresAt"/> null: until removed.</summary>
public sealed record ServiceFlag(string Name, DateTimeOffset? ExpiresAt);

/// <param name="Flags">Flag names: 1 to 20 of A-Z a-z 0-9 _ -.</param>
/// <param name="TtlSeconds">For <c>flag</c>: remove them by themselves after this long (at most a year); null: until <c>unflag</c>.</param>
public sealed record FlagParams(string Name, List<string> Flags, double? TtlSeconds = null);

/// <param name="Flags">The service's flags afterwards.</param>
public sealed record FlagResult(string Message, List<ServiceFlag> Flags);

/// <summary>The result of <c>schedule</c>: a cron job's schedule and its next runs.</summary>
/// <param name="TimeZone">The IANA (or system) zone the expression is read in.</param>
/// <param name="NextRuns">Up to five, within not_before and not_after.</param>
public sealed record ScheduleResult(string Name, string Expression, string TimeZone, DateTimeOffset? NotBefore, DateTimeOffset? NotAfter,
    double? MaxTimePerRunSeconds, List<DateTimeOffset> NextRuns);

/// <summary>The result of <c>processes</c>: each service's processes, read from its cgroup.</summary>
public sealed record ProcessesResult(List<ServiceProcesses> Services);

/// <param name="Cgroup">The service's cgroup directory.</param>
public sealed record ServiceProcesses(string Name, string State, string Cgroup, int? MainPid, List<ProcessEntry> Processes);

/// <param name="Ppid">Its parent; a process whose parent is not in the list is a root of the service's tree.</param>
/// <param name="CpuSeconds">User plus system CPU time it has used.</param>
/// <param name="Command">Its command line (at most 4096 bytes), or <c>[comm]</c> when it has none.</param>
public sealed record ProcessEntry(int Pid, int Ppid, string User, double CpuSeconds, long RssBytes, DateTimeOffset StartedAt, string Command);

public sealed record PressureLine(double Avg10, double Avg60, double Avg300, long Total);

public sealed record Pressure(PressureLine? Some, PressureLine? Full);

public sealed record AdminAction(string Id, string Label, List<string> Command);

public sealed record AdminListResult(List<AdminAction> Actions);

public sealed record AdminPsResult(List<int> Pids);

public sealed record AdminRunParams(string Id);

public sealed record AdminRunResult(string Id, int Pid, string Message);

public sealed record AdminKillResult(int Killed, string Message);

public sealed record EmptyParams;

/// <summary>The <c>error.data</c> of a not-co-built rejection.</summary>
public sealed record CoBuildMismatch(BuildIdentity Daemon, BuildIdentity Client);
