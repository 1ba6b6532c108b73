using System.Net;
using ProcessMaster.Core.Configuration.Values;

namespace ProcessMaster.Core.Configuration;

/// <summary>The daemon's master configuration (<c>processmaster -c config.yaml</c>), fully validated.</summary>
public sealed record MasterConfig
{
    /// <summary>Absolute path of the file it was read from.</summary>
    public required string SourceFile { get; init; }

    public required CgroupSettings Cgroup { get; init; }

    public required UnixSocketSettings UnixSocket { get; init; }

    public required GlobalSettings Global { get; init; }

    public required WebConsoleSettings WebConsole { get; init; }

    public required MetricsSettings Metrics { get; init; }

    public required EquatableArray<AdminActionDefinition> AdminActions { get; init; }
}

/// <summary>The <c>cgroup:</c> section: where the master cgroup lives and its limits.</summary>
/// <param name="Root">cgroup2 mount to create the master group in.</param>
/// <param name="RootIsDefault">True when <c>root</c> is the usual <c>/sys/fs/cgroup</c> (set so or not set), so another cgroup2 mount may be used.</param>
/// <param name="Name">Master cgroup path under <paramref name="Root"/>.</param>
/// <param name="MemoryMax">Bytes, or null for unlimited.</param>
/// <param name="MemorySwapMax">Bytes, or null for unlimited.</param>
/// <param name="CpuMax">The master group's <c>cpu.max</c>.</param>
/// <param name="PidsMax">Process limit, or null for unlimited.</param>
/// <param name="SubtreeControlAllow">Enable every available controller for children, not only cpu, memory, io and pids.</param>
public sealed record CgroupSettings(
    string Root,
    bool RootIsDefault,
    string Name,
    long? MemoryMax,
    long? MemorySwapMax,
    CpuMax CpuMax,
    long? PidsMax,
    bool SubtreeControlAllow)
{
    public const string DefaultRoot = "/sys/fs/cgroup";
}

/// <summary>The <c>unix_socket:</c> section.</summary>
public sealed record UnixSocketSettings(string Path, string? Owner, string? Group, int Mode)
{
    public const string DefaultPath = "/run/processmaster/processmaster.sock";
    public const int DefaultMode = 0x180; // 0600
}

/// <summary>The <c>global:</c> section.</summary>
public sealed record GlobalSettings(
    string? ConfigDirectory,
    string? AutoServiceDirectory,
    string DefaultServiceUser,
    string DefaultServiceGroup);

/// <summary>The <c>web_console:</c> section.</summary>
public sealed record WebConsoleSettings(
    bool Enabled,
    IPAddress Bind,
    int Port,
    bool AllowPlaintextRemote,
    TlsSettings Tls,
    EquatableArray<string> Users,
    bool UsesGeneratedPassword)
{
    /// <summary>The login when the auth section is omitted: this user, with a password generated on first start.</summary>
    public const string GeneratedLoginUser = "admin";
}

/// <summary>The <c>metrics:</c> section: Prometheus' <c>/metrics</c> on a listener of its own.</summary>
/// <param name="AllowPlaintextRemote">Serve plain HTTP off loopback (the console's passwords then cross the network in clear).</param>
public sealed record MetricsSettings(bool Enabled, IPAddress Bind, int Port, bool AllowPlaintextRemote, TlsSettings Tls)
{
    public const int DefaultPort = 9109;
}

/// <summary>The <c>web_console.tls:</c> and <c>metrics.tls:</c> sections.</summary>
public sealed record TlsSettings(
    bool Enabled,
    string? CaPem,
    string? ServerCertPem,
    string? ServerKeyPem,
    string? ClientHost,
    bool Mtls);

/// <summary>One operator-triggered command from <c>admin_actions:</c>.</summary>
public sealed record AdminActionDefinition(string Id, string Label, EquatableArray<string> Command);
