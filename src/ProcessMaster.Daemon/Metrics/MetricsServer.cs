using System.Net;
using System.Net.Sockets;
using System.Text;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Daemon.Http;

namespace ProcessMaster.Daemon.Metrics;

/// <summary>
/// <c>GET /metrics</c> on a listener of its own (<see cref="HttpServer"/>), at most
/// <see cref="MaxConnections"/> scrapes at once, <see cref="MaxConnectionsPerSource"/> from one address (a connection
/// that has not sent its request gives way to a newer one). On a loopback bind no login is asked; elsewhere the
/// console's users log in (basic auth, rate-limited as the console's logins) or, with mtls, the client
/// certificate stands for one.
/// </summary>
internal sealed class MetricsServer : IAsyncDisposable
{
    public const int MaxConnections = 16;
    public const int MaxConnectionsPerSource = 8;

    private readonly HttpServer _server;
    private readonly MetricsCollector _collector;
    private readonly BasicAuthenticator? _authenticator;
    private readonly LoginRateLimiter _limiter;
    private readonly Action _served;

    private MetricsServer(Socket listener, TlsIdentity? tls, MetricsCollector collector, BasicAuthenticator? authenticator,
        LoginRateLimiter limiter, Action served, Action<string> report)
    {
        _collector = collector;
        _authenticator = authenticator;
        _limiter = limiter;
        _served = served;
        _server = new HttpServer(listener, tls, new ConnectionSlots(MaxConnections, MaxConnectionsPerSource, streams: 0), maxBodyBytes: 0, "a metrics scrape", ServeAsync, report);
    }

    /// <summary>The listening socket's descriptor (handed to the next image on a re-exec).</summary>
    public int ListenerFd => _server.ListenerFd;

    public string Url { get; private init; } = "";

    /// <summary>
    /// Starts serving, or says why not (an event) and returns null: the daemon runs on without metrics.
    /// <paramref name="inherited"/> is the listening socket a previous image handed over; <paramref name="served"/>
    /// is told of every scrape (a scrape is a burst of garbage every interval: the heap is given back once they pause).
    /// </summary>
    public static MetricsServer? Start(MasterConfig master, MetricsCollector collector, string stateDirectory, int? inherited,
        Action served, Action<string> report)
    {
        var settings = master.Metrics;
        if (!settings.Enabled)
        {
            return null;
        }

        if (RefusalReason(settings, master.WebConsole) is { } reason)
        {
            report($"metrics not served: {reason}");
            return null;
        }

        var time = TimeProvider.System;
        var limiter = new LoginRateLimiter(time);
        var loopback = IPAddress.IsLoopback(settings.Bind);
        TlsIdentity? tls = null;
        Socket listener;
        try
        {
            tls = TlsIdentity.Load(settings.Tls, settings.Bind, stateDirectory, time, report);
            listener = ListenSocket.Open(settings.Bind, settings.Port, inherited);
        }
        catch (Exception e) when (e is IOException or SocketException or System.Security.Cryptography.CryptographicException or UnauthorizedAccessException)
        {
            tls?.Dispose();
            report($"metrics not served: cannot listen on {settings.Bind}:{settings.Port}: {e.Message}");
            return null;
        }

        var host = settings.Bind.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{settings.Bind}]" : settings.Bind.ToString();
        var server = new MetricsServer(listener, tls, collector,
            loopback || tls?.ClientAuthority is not null ? null : new BasicAuthenticator(master.WebConsole.Users, time, limiter),
            limiter, served, report)
        {
            Url = $"{(settings.Tls.Enabled ? "https" : "http")}://{host}:{settings.Port}/metrics",
        };
        report($"metrics served at {server.Url}{(loopback ? " (loopback: no login)" : tls?.ClientAuthority is not null ? " (client certificates)" : " (the console's users log in)")}");
        return server;
    }

    /// <summary>The console's rules: off loopback a login is needed, and plain HTTP only when allowed outright.</summary>
    internal static string? RefusalReason(MetricsSettings settings, WebConsoleSettings console)
    {
        if (IPAddress.IsLoopback(settings.Bind))
        {
            return null;
        }

        if (!(settings.Tls.Enabled && settings.Tls.Mtls) && console.UsesGeneratedPassword)
        {
            return $"on {settings.Bind} the scraper must log in, and web_console.auth.basic.users names nobody " +
                   "(add a user with `pmctl password generate`, use metrics.tls.mtls, or bind metrics to 127.0.0.1)";
        }

        if (!settings.Tls.Enabled && !settings.AllowPlaintextRemote)
        {
            return $"plain HTTP on {settings.Bind} would send passwords in clear text; enable metrics.tls, bind to 127.0.0.1, or set allow_plaintext_remote: true";
        }

        return null;
    }

    private async Task ServeAsync(HttpExchange exchange)
    {
        var request = exchange.Request;
        if (Refusal(request, exchange.Source) is { } refusal)
        {
            if (refusal.Header is var (name, value))
            {
                exchange.SetHeader(name, value);
            }

            await exchange.RespondTextAsync(refusal.Status, refusal.Text);
            return;
        }

        var accept = request.Header("Accept")?.Contains("application/openmetrics-text", StringComparison.OrdinalIgnoreCase) == true;
        using var exposition = _collector.Collect(accept);
        await exchange.RespondAsync(200, exposition.ContentType, exposition.Finish());
        _served();
    }

    /// <summary>Why this request gets no metrics (status, headers, text), or null when it does.</summary>
    private (int Status, (string Name, string Value)? Header, string Text)? Refusal(HttpRequest request, IPAddress source)
    {
        if (request.Method is not ("GET" or "HEAD"))
        {
            return (405, ("Allow", "GET, HEAD"), "only GET and HEAD");
        }

        if (request.Path != "/metrics")
        {
            return (404, null, "not found; metrics are at /metrics");
        }

        if (_authenticator is null)
        {
            return null;
        }

        var (user, retryAfter, _) = _limiter.RetryAfter(source) is { } blocked
            ? new BasicAuthenticator.Outcome(null, blocked)
            : _authenticator.Authenticate(request.Header("Authorization"), source);
        if (retryAfter is { } wait)
        {
            return (429, ("Retry-After", $"{Math.Ceiling(Math.Max(wait.TotalSeconds, 1))}"), "too many failed logins; try again later");
        }

        return user is null
            ? (401, ("WWW-Authenticate", "Basic realm=\"processmaster metrics\", charset=\"UTF-8\""), "login required")
            : null;
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
