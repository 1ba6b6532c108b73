using System.Net.Sockets;
using ProcessMaster.Core.Events;
using ProcessMaster.Daemon.Control;
using ProcessMaster.Daemon.Http;

namespace ProcessMaster.Daemon.Web;

/// <summary>
/// The web console, started only when <c>web_console.enabled</c>, on <c>bind:port</c>, over HTTPS when
/// TLS is configured. Refuses to start (the daemon keeps running and says why) with the generated
/// password off loopback, or plain HTTP off loopback without <c>allow_plaintext_remote</c>.
/// </summary>
internal sealed class WebConsole(HttpServer server, string url) : IAsyncDisposable
{
    /// <summary>Requests at once (pending ones give way to newer ones); half of them from one address (an IPv6 /64).</summary>
    public const int MaxConnections = 64;
    public const int MaxConnectionsPerSource = 32;

    /// <summary>Open event streams, apart from the requests: a browser holds one or two per page; several operators fit.</summary>
    public const int MaxStreams = 32;

    public string Url => url;

    /// <summary>The listening socket (handed to the next image on a re-exec).</summary>
    public int ListenerFd => server.ListenerFd;

    /// <param name="inherited">The listening socket a re-exec handed over, if any.</param>
    public static WebConsole? Start(Core.Configuration.WebConsoleSettings settings, EventLog events, RpcDispatcher dispatcher, string stateDirectory, Action<string> log, int? inherited)
    {
        if (!settings.Enabled)
        {
            return null;
        }

        if (WebConsolePolicy.RefusalReason(settings) is { } refusal)
        {
            events.Record(null, new WebConsoleNotStarted(refusal));
            return null;
        }

        var time = TimeProvider.System;
        IReadOnlyList<string> users;
        try
        {
            users = settings.UsesGeneratedPassword
                ? [GeneratedPassword.LoadOrCreate(stateDirectory, message => events.Record(null, new Notice("web", message)))]
                : settings.Users;
        }
        catch (IOException e)
        {
            events.Record(null, new WebConsoleNotStarted(e.Message));
            return null;
        }

        TlsIdentity? tls = null;
        Socket listener;
        try
        {
            tls = TlsIdentity.Load(settings.Tls, settings.Bind, stateDirectory, time, log);
            listener = ListenSocket.Open(settings.Bind, settings.Port, inherited);
        }
        catch (Exception e) when (e is IOException or SocketException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            tls?.Dispose();
            events.Record(null, new WebConsoleNotStarted($"cannot listen on {settings.Bind}:{settings.Port}: {e.Message}"));
            return null;
        }

        var limiter = new LoginRateLimiter(time);
        var handler = new WebConsoleHandler(events, dispatcher, new BasicAuthenticator(users, time, limiter), limiter);
        var server = new HttpServer(listener, tls, new ConnectionSlots(MaxConnections, MaxConnectionsPerSource, MaxStreams), Protocol.JsonRpc.MaxRequestBytes, "a console request", handler.HandleAsync,
            message => events.Record(null, new Notice("web", message)));
        var host = settings.Bind.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{settings.Bind}]" : settings.Bind.ToString();
        var url = $"{(settings.Tls.Enabled ? "https" : "http")}://{host}:{settings.Port}/processmaster/";
        events.Record(null, new WebConsoleListening(url));
        return new WebConsole(server, url);
    }

    public ValueTask DisposeAsync() => server.DisposeAsync();
}
