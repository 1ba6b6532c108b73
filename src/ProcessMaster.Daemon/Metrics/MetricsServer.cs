using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Faults;
using ProcessMaster.Daemon.Web;

namespace ProcessMaster.Daemon.Metrics;

/// <summary>
/// <c>GET /metrics</c> on a listener of its own, without ASP.NET (the console's Kestrel costs the daemon
/// megabytes it does not need for this). One request per connection, read under a deadline and a size
/// limit, at most <see cref="MaxConnections"/> at once: a scraper cannot hold the daemon, and anything
/// else cannot either. On a loopback bind no login is asked; elsewhere the console's users log in
/// (basic auth, rate-limited as the console's logins) or, with mtls, the client certificate stands for one.
/// </summary>
internal sealed class MetricsServer : IAsyncDisposable
{
    public const int MaxConnections = 16;
    private const int MaxRequestHeadBytes = 8 * 1024;
    private static readonly TimeSpan RequestDeadline = TimeSpan.FromSeconds(10);

    private readonly Socket _listener;
    private readonly MetricsCollector _collector;
    private readonly BasicAuthenticator? _authenticator;
    private readonly LoginRateLimiter _limiter;
    private readonly X509Certificate2? _certificate;
    private readonly X509Certificate2? _clientAuthority;
    private readonly Action<string> _report;
    private readonly Memory.MemoryTrimmer _trimmer;
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _slots = new(MaxConnections);
    private readonly Task _accepting;

    private MetricsServer(Socket listener, MetricsCollector collector, BasicAuthenticator? authenticator,
        LoginRateLimiter limiter, X509Certificate2? certificate, X509Certificate2? clientAuthority, Memory.MemoryTrimmer trimmer, Action<string> report)
    {
        _trimmer = trimmer;
        _listener = listener;
        _collector = collector;
        _authenticator = authenticator;
        _limiter = limiter;
        _certificate = certificate;
        _clientAuthority = clientAuthority;
        _report = report;
        _accepting = Task.Run(AcceptAsync);
    }

    /// <summary>The listening socket's descriptor (handed to the next image on a re-exec).</summary>
    public int ListenerFd => (int)_listener.Handle;

    public string Url { get; private init; } = "";

    /// <summary>
    /// Starts serving, or says why not (an event) and returns null: the daemon runs on without metrics.
    /// <paramref name="inherited"/> is the listening socket a previous image handed over.
    /// </summary>
    public static MetricsServer? Start(MasterConfig master, MetricsCollector collector, string stateDirectory, int? inherited,
        Memory.MemoryTrimmer trimmer, Action<string> report)
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
        X509Certificate2? certificate = null, authority = null;
        Socket? listener = null;
        try
        {
            if (settings.Tls.Enabled)
            {
                certificate = settings.Tls.ServerCertPem is { } cert
                    ? X509Certificate2.CreateFromPemFile(cert, settings.Tls.ServerKeyPem)
                    : SelfSignedCertificate.LoadOrCreate(stateDirectory, settings.Bind, settings.Tls.ClientHost, time, report);
                authority = settings.Tls.Mtls && settings.Tls.CaPem is { } ca ? X509CertificateLoader.LoadCertificate(Encoding.ASCII.GetBytes(File.ReadAllText(ca))) : null;
            }

            listener = new Socket(new SafeSocketHandle(inherited ?? WebListener.Open(settings.Bind, settings.Port), ownsHandle: true));
        }
        catch (Exception e) when (e is IOException or SocketException or System.Security.Cryptography.CryptographicException or UnauthorizedAccessException)
        {
            listener?.Dispose();
            report($"metrics not served: cannot listen on {settings.Bind}:{settings.Port}: {e.Message}");
            return null;
        }

        var host = settings.Bind.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{settings.Bind}]" : settings.Bind.ToString();
        var server = new MetricsServer(listener, collector,
            loopback || authority is not null ? null : new BasicAuthenticator(master.WebConsole.Users, time, limiter),
            limiter, certificate, authority, trimmer, report)
        {
            Url = $"{(settings.Tls.Enabled ? "https" : "http")}://{host}:{settings.Port}/metrics",
        };
        report($"metrics served at {server.Url}{(loopback ? " (loopback: no login)" : authority is not null ? " (client certificates)" : " (the console's users log in)")}");
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

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue; // a connection reset before it was accepted
            }

            if (!_slots.Wait(0))
            {
                client.Dispose(); // MaxConnections are being served: this one is shed, not queued
                continue;
            }

            Background.Forget("a metrics scrape", () => ServeAsync(client), _report);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            deadline.CancelAfter(RequestDeadline);
            await using var network = new NetworkStream(client, ownsSocket: true);
            Stream stream = network;
            var source = (client.RemoteEndPoint as IPEndPoint)?.Address ?? IPAddress.None;
            if (_certificate is not null)
            {
                var tls = new SslStream(network, leaveInnerStreamOpen: false, ValidateClient);
                stream = tls;
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificate = _certificate,
                    ClientCertificateRequired = _clientAuthority is not null,
                }, deadline.Token);
            }

            await using (stream)
            {
                var request = await MetricsRequest.ReadAsync(stream, MaxRequestHeadBytes, deadline.Token);
                if (Refusal(request, source) is { } refusal)
                {
                    await WriteAsync(stream, refusal.Status, refusal.Headers, Encoding.UTF8.GetBytes(refusal.Body), deadline.Token);
                    return;
                }

                var accept = request!.Accept?.Contains("application/openmetrics-text", StringComparison.OrdinalIgnoreCase) == true;
                using var exposition = _collector.Collect(accept);
                var body = exposition.Finish();
                await WriteAsync(stream, "200 OK", $"Content-Type: {exposition.ContentType}\r\n", request.Method == "HEAD" ? body[..0] : body, deadline.Token, body.Length);
                // A scrape is a burst of garbage every interval: give the heap back once scrapes pause.
                _trimmer.Request();
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
        {
            // The peer went away, was too slow or failed TLS: nothing to answer.
        }
        finally
        {
            _slots.Release();
        }
    }

    private bool ValidateClient(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (_clientAuthority is null)
        {
            return true; // no client certificate asked for
        }

        if (certificate is null)
        {
            return false;
        }

        using var client = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return ClientCertificates.IsSignedBy(_clientAuthority, client);
    }

    /// <summary>Why this request gets no metrics (status, headers, text), or null when it does.</summary>
    private (string Status, string Headers, string Body)? Refusal(MetricsRequest? request, IPAddress source)
    {
        if (request is null)
        {
            return ("400 Bad Request", "", "bad request\n");
        }

        if (request.Method is not ("GET" or "HEAD"))
        {
            return ("405 Method Not Allowed", "Allow: GET, HEAD\r\n", "only GET and HEAD\n");
        }

        if (request.Path != "/metrics")
        {
            return ("404 Not Found", "", "not found; metrics are at /metrics\n");
        }

        if (_authenticator is null)
        {
            return null;
        }

        var (user, retryAfter, _) = _limiter.RetryAfter(source) is { } blocked
            ? new BasicAuthenticator.Outcome(null, blocked)
            : _authenticator.Authenticate(request.Authorization, source);
        if (retryAfter is { } wait)
        {
            return ("429 Too Many Requests", $"Retry-After: {Math.Ceiling(Math.Max(wait.TotalSeconds, 1))}\r\n", "too many failed logins; try again later\n");
        }

        return user is null
            ? ("401 Unauthorized", "WWW-Authenticate: Basic realm=\"processmaster metrics\", charset=\"UTF-8\"\r\n", "login required\n")
            : null;
    }

    /// <param name="length">Content-Length when it differs from the body's (HEAD: the length a GET would get).</param>
    private static async Task WriteAsync(Stream stream, string status, string headers, ReadOnlyMemory<byte> body, CancellationToken cancellation, int? length = null)
    {
        var type = headers.Contains("Content-Type:", StringComparison.Ordinal) ? "" : "Content-Type: text/plain; charset=utf-8\r\n";
        var head = Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\n{type}{headers}Content-Length: {length ?? body.Length}\r\nConnection: close\r\n\r\n");
        await stream.WriteAsync(head, cancellation);
        await stream.WriteAsync(body, cancellation);
        await stream.FlushAsync(cancellation);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Dispose();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
        }

        _certificate?.Dispose();
        _clientAuthority?.Dispose();
    }
}
