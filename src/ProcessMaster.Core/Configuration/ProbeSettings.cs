using System.Globalization;

namespace ProcessMaster.Core.Configuration;

/// <summary>
/// A <c>readiness_probe</c> or <c>liveness_probe</c>: exactly one check (exec, http, tcp or notify) and how it
/// is repeated, with the meaning and defaults Kubernetes gives them (initial delay 0, period 10 s, timeout
/// 1 s, one success, three failures).
/// </summary>
public sealed record ProbeSettings(
    ExecProbe? Exec,
    HttpProbe? Http,
    TcpProbe? Tcp,
    NotifyProbe? Notify,
    TimeSpan InitialDelay,
    TimeSpan Period,
    TimeSpan Timeout,
    int SuccessThreshold,
    int FailureThreshold)
{
    public static readonly TimeSpan DefaultPeriod = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(1);
    public const int DefaultSuccessThreshold = 1;
    public const int DefaultFailureThreshold = 3;

    /// <summary>What is checked, for events and status (<c>tcp 127.0.0.1:5432</c>).</summary>
    public string Describe() =>
        Exec is { } exec ? $"exec {string.Join(' ', exec.Command)}"
        : Http is { } http ? $"http GET {http.Url}"
        : Tcp is { } tcp ? $"tcp {tcp.Host}:{tcp.Port.ToString(CultureInfo.InvariantCulture)}"
        : "notify (READY=1)";
}

/// <summary>A command run in the service's cgroup, as its user: healthy when it exits 0 within the timeout.</summary>
public sealed record ExecProbe(EquatableArray<string> Command);

/// <summary>An HTTP GET: healthy when the status is within <paramref name="StatusFrom"/>..<paramref name="StatusTo"/>.</summary>
/// <param name="Host">The Host header to send, when it is not the URL's.</param>
/// <param name="VerifyTls">For https: whether the certificate must be valid for the host.</param>
public sealed record HttpProbe(Uri Url, int StatusFrom, int StatusTo, string? Host, bool VerifyTls);

/// <summary>A TCP connect: healthy when it is accepted within the timeout.</summary>
public sealed record TcpProbe(string Host, int Port);

/// <summary>
/// The sd_notify protocol: the service gets <c>NOTIFY_SOCKET</c> and is ready once it sends <c>READY=1</c>.
/// With <paramref name="Watchdog"/> it gets <c>WATCHDOG_USEC</c> too and must send <c>WATCHDOG=1</c> at least
/// that often once ready; a missed ping is a liveness failure.
/// </summary>
public sealed record NotifyProbe(TimeSpan? Watchdog);
