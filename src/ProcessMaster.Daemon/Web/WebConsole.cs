using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Daemon.Control;

namespace ProcessMaster.Daemon.Web;

/// <summary>
/// The web console: Kestrel, started only when <c>web_console.enabled</c> (a daemon without it never loads
/// ASP.NET), on <c>bind:port</c>, over HTTPS when TLS is configured. Refuses to start (the daemon keeps
/// running and says why) with the generated password off loopback, or plain HTTP off loopback without
/// <c>allow_plaintext_remote</c>.
/// </summary>
internal sealed class WebConsole(WebApplication app, string url) : IAsyncDisposable
{
    public string Url => url;

    /// <summary>The listening socket Kestrel serves (handed to the next image on a re-exec).</summary>
    public int ListenerFd { get; private init; }

    /// <param name="inherited">The listening socket a re-exec handed over, if any.</param>
    public static async Task<WebConsole?> StartAsync(DaemonRuntime runtime, RpcDispatcher dispatcher, string stateDirectory, Action<string> log, int? inherited)
    {
        var settings = runtime.Master.WebConsole;
        if (!settings.Enabled)
        {
            return null;
        }

        if (WebConsolePolicy.RefusalReason(settings) is { } refusal)
        {
            runtime.Events.Record(null, "web", $"web console not started: {refusal}");
            return null;
        }

        var time = TimeProvider.System;
        IReadOnlyList<string> users;
        try
        {
            users = settings.UsesGeneratedPassword
                ? [GeneratedPassword.LoadOrCreate(stateDirectory, message => runtime.Events.Record(null, "web", message))]
                : settings.Users;
        }
        catch (IOException e)
        {
            runtime.Events.Record(null, "web", $"web console not started: {e.Message}");
            return null;
        }

        int listener;
        try
        {
            listener = inherited ?? WebListener.Open(settings.Bind, settings.Port);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            runtime.Events.Record(null, "web", $"web console not started: cannot listen on {settings.Bind}:{settings.Port}: {e.Message}");
            return null;
        }

        var limiter = new LoginRateLimiter(time);
        var handler = new WebConsoleHandler(runtime, dispatcher, new BasicAuthenticator(users, time, limiter), limiter);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Services.Configure<Microsoft.Extensions.Hosting.HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = Protocol.JsonRpc.MaxRequestBytes;
            kestrel.ListenHandle((ulong)listener, listen =>
            {
                if (settings.Tls.Enabled)
                {
                    listen.UseHttps(https => ConfigureTls(https, settings, stateDirectory, time, log));
                }
            });
        });

        var app = builder.Build();
        app.Run(handler.HandleAsync);
        try
        {
            await app.StartAsync();
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or InvalidOperationException or System.Security.Cryptography.CryptographicException)
        {
            runtime.Events.Record(null, "web", $"web console not started: cannot listen on {settings.Bind}:{settings.Port}: {e.Message}");
            await app.DisposeAsync();
            return null;
        }

        var host = settings.Bind.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{settings.Bind}]" : settings.Bind.ToString();
        var url = $"{(settings.Tls.Enabled ? "https" : "http")}://{host}:{settings.Port}/processmaster/";
        runtime.Events.Record(null, "web", $"web console listening on {url}");
        return new WebConsole(app, url) { ListenerFd = listener };
    }

    private static void ConfigureTls(HttpsConnectionAdapterOptions https, WebConsoleSettings settings, string stateDirectory, TimeProvider time, Action<string> log)
    {
        https.ServerCertificate = settings.Tls.ServerCertPem is { } cert
            ? System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(cert, settings.Tls.ServerKeyPem)
            : SelfSignedCertificate.LoadOrCreate(stateDirectory, settings.Bind, settings.Tls.ClientHost, time, log);
        if (settings.Tls.Mtls && settings.Tls.CaPem is { } ca)
        {
            var authority = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(ca));
            https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
            https.ClientCertificateValidation = (client, _, _) => ClientCertificates.IsSignedBy(authority, client);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
