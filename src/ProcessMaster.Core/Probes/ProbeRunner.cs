using System.Globalization;
using System.Net.Http;
using System.Net.Security;
using System.Net.Sockets;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Configuration.Values;
using ProcessMaster.Core.Supervision;
using ProcessMaster.Core.Supervision.Ports;

namespace ProcessMaster.Core.Probes;

/// <summary>
/// Runs readiness and liveness checks: <c>exec</c> through the spawner (the service's cgroup and user),
/// <c>http</c> with .NET's HTTP client (a new connection each time, redirects not followed), <c>tcp</c> with
/// a connect. Everything is asynchronous: no thread waits for a check. What a check reports is cut short
/// and stripped of control characters, since events quote it and a service writes it.
/// </summary>
public sealed class ProbeRunner(IProcessSpawner processes) : IProbes
{
    private const int MaxDetail = 300;


    public async Task<ProbeOutcome> RunAsync(ProbeKind kind, ProbeSettings probe, ServiceDefinition definition, IServiceCgroup cgroup)
    {
        try
        {
            var outcome = probe switch
            {
                { Exec: { } exec } => await ExecAsync(kind, exec, probe.Timeout, definition, cgroup),
                { Http: { } http } => await HttpAsync(http, probe.Timeout),
                { Tcp: { } tcp } => await TcpAsync(tcp, probe.Timeout),
                _ => new ProbeOutcome(false, "nothing to check"),
            };
            return outcome with { Detail = Clean(outcome.Detail) };
        }
        catch (Exception e)
        {
            return new ProbeOutcome(false, Clean($"the check could not run: {e.Message}"));
        }
    }

    private async Task<ProbeOutcome> ExecAsync(ProbeKind kind, ExecProbe exec, TimeSpan timeout, ServiceDefinition definition, IServiceCgroup cgroup)
    {
        var run = await processes.RunCheckAsync(definition, cgroup, kind.ToString().ToLowerInvariant(), exec.Command, timeout);
        var said = run.Output.Trim();
        var quoted = said.Length == 0 ? "" : $": {said}";
        return run switch
        {
            { Error: { } error } => new ProbeOutcome(false, $"cannot run {exec.Command[0]}: {error}"),
            { Exit: null } => new ProbeOutcome(false, $"{exec.Command[0]} did not finish within {DurationText.Format(timeout)}{quoted}"),
            { Exit: { Success: true } } => new ProbeOutcome(true, $"{exec.Command[0]} exited 0{quoted}"),
            { Exit: { } exit } => new ProbeOutcome(false, $"{exec.Command[0]} {exit}{quoted}"),
        };
    }

    private static async Task<ProbeOutcome> HttpAsync(HttpProbe http, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, http.Url);
        request.Headers.ConnectionClose = true; // each check opens a connection of its own, as a new client would
        if (http.Host is { } host)
        {
            request.Headers.Host = host;
        }

        // A client of its own, disposed with the check: a connection attempt the timeout gave up on would
        // otherwise live on in a shared pool, and a single-threaded server would wait on it instead of answering.
        using var client = Client(http.VerifyTls, timeout);
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel.Token);
            var status = (int)response.StatusCode;
            var passed = status >= http.StatusFrom && status <= http.StatusTo;
            return new ProbeOutcome(passed, $"GET {http.Url} answered {status.ToString(CultureInfo.InvariantCulture)}" +
                (passed ? "" : $" (expected {Range(http)})"));
        }
        catch (OperationCanceledException)
        {
            return new ProbeOutcome(false, $"GET {http.Url} got no answer within {DurationText.Format(timeout)}");
        }
        catch (HttpRequestException e)
        {
            return new ProbeOutcome(false, $"GET {http.Url} failed: {Innermost(e).Message}");
        }
    }

    private static string Range(HttpProbe http) =>
        http.StatusFrom == http.StatusTo ? $"{http.StatusFrom}" : $"{http.StatusFrom}-{http.StatusTo}";

    private static async Task<ProbeOutcome> TcpAsync(TcpProbe tcp, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        var target = $"{tcp.Host}:{tcp.Port.ToString(CultureInfo.InvariantCulture)}";
        try
        {
            await socket.ConnectAsync(tcp.Host, tcp.Port, cancel.Token);
            return new ProbeOutcome(true, $"connected to {target}");
        }
        catch (OperationCanceledException)
        {
            return new ProbeOutcome(false, $"no connection to {target} within {DurationText.Format(timeout)}");
        }
        catch (SocketException e)
        {
            return new ProbeOutcome(false, $"cannot connect to {target}: {e.Message}");
        }
    }

    private static HttpClient Client(bool verify, TimeSpan timeout)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            ConnectTimeout = timeout,
            PooledConnectionLifetime = TimeSpan.Zero,
        };
        if (!verify)
        {
            handler.SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, _, _, _) => true };
        }

        return new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>One line, no control characters (terminal escapes, forged log lines), at most <see cref="MaxDetail"/> characters.</summary>
    internal static string Clean(string text)
    {
        var line = string.Create(Math.Min(text.Length, MaxDetail), text, (span, source) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = char.IsControl(source[i]) ? ' ' : source[i];
            }
        });
        return text.Length > MaxDetail ? line + "..." : line;
    }

    /// <summary>HttpClient wraps the cause (a refused connection, a bad certificate) and says "see inner exception".</summary>
    private static Exception Innermost(Exception e) => e.InnerException is { } inner ? Innermost(inner) : e;
}
