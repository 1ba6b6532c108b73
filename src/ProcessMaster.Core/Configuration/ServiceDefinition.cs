using ProcessMaster.Core.Configuration.Values;

namespace ProcessMaster.Core.Configuration;

/// <summary>
/// One service (or cron job) definition, validated and with every path made absolute. Immutable with
/// value equality: a reload restarts exactly the services whose definition is no longer equal.
/// </summary>
public sealed record ServiceDefinition
{
    public required string Name { get; init; }

    /// <summary>The YAML file it came from; null for an auto-service running on built-in defaults.</summary>
    public string? SourceFile { get; init; }

    /// <summary>True when it comes from <c>auto_service_directory</c>.</summary>
    public bool IsAutoService { get; init; }

    public required string WorkingDirectory { get; init; }

    public required ProcessSettings Process { get; init; }

    /// <summary>Set for a cron job.</summary>
    public ScheduleSettings? Schedule { get; init; }

    public required LogSettings Logs { get; init; }

    public required ResourceSettings Resources { get; init; }

    /// <summary>Restart behaviour of a long-running service; null for a cron job.</summary>
    public RestartSettings? Restart { get; init; }

    public bool Enabled { get; init; } = true;

    public EquatableArray<ProvisioningStep> Provisioning { get; init; } = EquatableArray<ProvisioningStep>.Empty;

    /// <summary>What must be up before this service starts (<c>depends_on</c>).</summary>
    public EquatableArray<Dependency> DependsOn { get; init; } = EquatableArray<Dependency>.Empty;

    /// <summary>When the service counts as healthy (<c>readiness_probe</c>); null: no check.</summary>
    public ProbeSettings? Readiness { get; init; }

    /// <summary>When a running service counts as hung and is restarted (<c>liveness_probe</c>); null: no check.</summary>
    public ProbeSettings? Liveness { get; init; }

    /// <summary>The service speaks sd_notify: it gets a <c>NOTIFY_SOCKET</c>.</summary>
    public bool Notifies => Readiness?.Notify is not null;

    public bool IsCron => Schedule is not null;

    /// <summary>The marker that guards provisioning.</summary>
    public string ProvisioningMarker => System.IO.Path.Combine(WorkingDirectory, ".pm_provisioned");
}

/// <summary>The <c>process:</c> section.</summary>
/// <param name="StopSignal">Signal number a stop sends (after the stop command, when there is one and it failed or <see cref="SignalAfterStopCommand"/>).</param>
public sealed record ProcessSettings(
    EquatableArray<string> StartCommand,
    int StopSignal,
    EquatableArray<string>? StopCommand,
    TimeSpan StopGracePeriod,
    string? User,
    string? Group,
    EquatableArray<EnvironmentVariable> Environment,
    bool InheritEnvironment,
    bool DecorateArgv0 = false)
{
    public const int DefaultStopSignal = 15;

    public static readonly TimeSpan DefaultStopGracePeriod = TimeSpan.FromSeconds(5);

    /// <summary>dotenv files read at each start, after the base environment and before <see cref="Environment"/>.</summary>
    public EquatableArray<EnvironmentFileSetting> EnvironmentFiles { get; init; } = EquatableArray<EnvironmentFileSetting>.Empty;

    /// <summary>The file mode creation mask the command starts with (<c>umask</c>); null: the daemon's (022).</summary>
    public int? Umask { get; init; }

    /// <summary>Resource limits set before the exec; a kind not listed keeps the daemon's limit.</summary>
    public EquatableArray<Values.ProcessLimit> Limits { get; init; } = EquatableArray<Values.ProcessLimit>.Empty;

    /// <summary>The scheduling niceness, -20 (first) to 19; null: the daemon's.</summary>
    public int? Nice { get; init; }

    public Values.IoScheduling? IoScheduling { get; init; }

    /// <summary>The CPUs the service may run on, ascending; empty: all.</summary>
    public EquatableArray<int> CpuAffinity { get; init; } = EquatableArray<int>.Empty;

    /// <summary>Written to <c>/proc/PID/oom_score_adj</c>, -1000 (never killed) to 1000; null: the daemon's.</summary>
    public int? OomScoreAdjust { get; init; }

    /// <summary>Which processes a stop signals: all of them, or the main process only.</summary>
    public KillMode KillMode { get; init; }

    /// <summary>When the service has ended: once its cgroup is empty, or once its main process has.</summary>
    public ExitType ExitType { get; init; }

    /// <summary>
    /// Both <c>stop_command</c> and <c>stop_signal</c> are set: once the command ends, what remains gets the
    /// signal. With the command alone, a command that succeeded is trusted to be stopping the service.
    /// </summary>
    public bool SignalAfterStopCommand { get; init; }
}

/// <summary><c>process.kill_mode</c>.</summary>
public enum KillMode
{
    /// <summary>The stop signal goes to every process of the cgroup.</summary>
    ControlGroup,

    /// <summary>The stop signal goes to the main process; what remains at the grace's end is killed with the rest.</summary>
    Mixed,
}

/// <summary><c>process.exit_type</c>.</summary>
public enum ExitType
{
    /// <summary>The service runs while its cgroup holds a process (right for programs that daemonize).</summary>
    Cgroup,

    /// <summary>The service ends when its main process does; what it leaves behind is stopped.</summary>
    Main,
}

public static class StopSettingNames
{
    public static string Name(this KillMode mode) => mode switch
    {
        KillMode.ControlGroup => "control-group",
        KillMode.Mixed => "mixed",
        _ => throw new System.Diagnostics.UnreachableException($"kill mode {(int)mode}"),
    };

    public static string Name(this ExitType type) => type switch
    {
        ExitType.Cgroup => "cgroup",
        ExitType.Main => "main",
        _ => throw new System.Diagnostics.UnreachableException($"exit type {(int)type}"),
    };
}

/// <summary>
/// A configured environment variable, its indirection already decoded. <see cref="Value"/> is a
/// <see cref="Values.VariableTemplate"/>: a decoded value is stored escaped, so it expands to itself.
/// </summary>
public sealed record EnvironmentVariable(string Name, string Value);

/// <summary>One <c>environment_file</c> entry.</summary>
/// <param name="Optional">A missing file is skipped instead of failing the start.</param>
public sealed record EnvironmentFileSetting(string Path, bool Optional);

/// <summary>When a cron job runs.</summary>
public sealed record ScheduleSettings(
    CronSchedule Cron,
    DateTimeOffset? NotBefore,
    DateTimeOffset? NotAfter,
    TimeSpan? MaxTimePerRun);

public enum RotationMode
{
    Size,
    Time,
}

public enum RotationFrequency
{
    None,
    Minutely,
    Hourly,
    Daily,
    Weekly,
    Monthly,
}

/// <summary>The <c>logs:</c> section; every path absolute, null meaning "discard" (or, for stderr, <see cref="StderrToStdout"/>).</summary>
public sealed record LogSettings(
    string? Stdout,
    string? Stderr,
    RotationMode RotationMode,
    long RotationSize,
    int? RotationBackups,
    RotationFrequency RotationFrequency,
    TimeSpan? RotationMaxAge,
    bool CompressionEnabled,
    string? StopCommandStdout,
    string? StopCommandStderr,
    EquatableArray<string> Hints)
{
    /// <summary><c>stderr: stdout</c>: the main process's stderr is its stdout, one pipe into the stdout file.</summary>
    public bool StderrToStdout { get; init; }

    public const long DefaultRotationSize = 10_000_000;
    public const int DefaultRotationBackups = 10;
}

/// <summary>The <c>resources:</c> section; null means unlimited (the file is reset to <c>max</c>).</summary>
/// <param name="IoWeight">Proportional I/O share, 1 to 10000 (100 is the kernel's default); null: the default.</param>
/// <param name="IoBandwidth">Per-device ceilings on I/O (<c>io_bandwidth</c>).</param>
/// <param name="SwapDefaulted">
/// <see cref="SwapMax"/> is the section's default (no swap), not written: where it cannot be enforced (cgroup v1
/// without a memory limit) nothing is said. Not part of the fingerprint: it follows from the other values' origin.
/// </param>
public sealed record ResourceSettings(CpuLimit? Cpu, long? MemoryMax, long? SwapMax, long? PidsMax,
    int? IoWeight = null, EquatableArray<IoBandwidthLimit> IoBandwidth = default,
    [property: System.Text.Json.Serialization.JsonIgnore] bool SwapDefaulted = false)
{
    public static ResourceSettings Unlimited { get; } = new(null, null, null, null);
}

/// <summary>One <c>io_bandwidth</c> entry: ceilings on one block device; a null rate is unlimited.</summary>
/// <param name="Device">As written: <c>MAJ:MIN</c> or a path such as <c>/dev/vda</c>, resolved when limits are written.</param>
public sealed record IoBandwidthLimit(string Device, long? ReadBytesPerSecond, long? WriteBytesPerSecond, long? ReadIops, long? WriteIops)
{
    /// <summary>The original's floors: lower rates would stall a service rather than limit it.</summary>
    public const long MinBytesPerSecond = 1024;

    public const long MinIops = 5;
}

public enum RestartPolicy
{
    Always,
    Never,

    /// <summary>Restart only after an unexpected end or a failed start.</summary>
    OnFailure,
}

public static class RestartPolicyNames
{
    /// <summary>The name in a service file (<c>on-failure</c>).</summary>
    public static string Name(this RestartPolicy policy) => policy switch
    {
        RestartPolicy.Always => "always",
        RestartPolicy.Never => "never",
        RestartPolicy.OnFailure => "on-failure",
        _ => throw new System.Diagnostics.UnreachableException($"restart policy {(int)policy}"),
    };
}

/// <summary>The <c>restart_policy:</c> section.</summary>
/// <param name="MaxRestarts">Failed starts and unexpected ends allowed within <paramref name="Window"/>; one more marks the service FAILED.</param>
public sealed record RestartSettings(RestartPolicy Policy, TimeSpan Backoff, int MaxRestarts, TimeSpan Window)
{
    // Before Default: static initializers run in the order written.
    public static EquatableArray<int> DefaultSuccessExitCodes { get; } = new([0]);

    public static TimeSpan DefaultMinUptime { get; } = TimeSpan.FromSeconds(1);

    public static RestartSettings Default { get; } =
        new(RestartPolicy.Always, TimeSpan.FromSeconds(1), 3, TimeSpan.FromMinutes(3));

    /// <summary>Exit codes that end a run successfully (<c>success_exit_codes</c>).</summary>
    public EquatableArray<int> SuccessExitCodes { get; init; } = DefaultSuccessExitCodes;

    /// <summary>A run shorter than this is a failed start (<c>min_uptime</c>).</summary>
    public TimeSpan MinUptime { get; init; } = DefaultMinUptime;
}

/// <summary>One <c>provisioning:</c> entry.</summary>
public sealed record ProvisioningStep(
    string Path,
    string? Owner,
    string? Group,
    bool Recursive,
    int? Mode,
    bool AddNetBindCapability);
