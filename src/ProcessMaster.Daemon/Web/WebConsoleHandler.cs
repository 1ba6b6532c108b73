using System.Net;
using System.Text;
using ProcessMaster.Core.Events;
using ProcessMaster.Daemon.Control;
using ProcessMaster.Daemon.Http;
using ProcessMaster.Protocol;

namespace ProcessMaster.Daemon.Web;

/// <summary>
/// Every request of the console: the page and its assets, JSON-RPC through the daemon's one dispatcher,
/// and the Server-Sent Event streams. Everything except the static assets and the redirect needs a
/// Basic login; every state-changing request also needs the CSRF token.
/// </summary>
internal sealed partial class WebConsoleHandler(
    EventLog events,
    RpcDispatcher dispatcher,
    BasicAuthenticator authenticator,
    LoginRateLimiter limiter)
{
    private const string Prefix = "/processmaster";

    public async Task HandleAsync(HttpExchange exchange)
    {
        var request = exchange.Request;
        SetSecurityHeaders(exchange);
        var path = request.Path;

        if (path is "/" or "/index.html" || path == Prefix)
        {
            exchange.SetHeader("Location", Prefix + "/");
            await exchange.RespondAsync(307, "text/plain; charset=utf-8", ReadOnlyMemory<byte>.Empty);
            return;
        }

        if (path.StartsWith(Prefix + "/static/", StringComparison.Ordinal) && (request.IsGet || request.IsHead))
        {
            await ServeAssetAsync(exchange, path[(Prefix.Length + "/static/".Length)..]);
            return;
        }

        if (!path.StartsWith(Prefix + "/", StringComparison.Ordinal))
        {
            await exchange.RespondTextAsync(404, "not found");
            return;
        }

        var source = exchange.Source;
        var (user, retryAfter, wrongPassword) = limiter.RetryAfter(source) is { } blocked
            ? new BasicAuthenticator.Outcome(null, blocked)
            : authenticator.Authenticate(request.Header("Authorization") is { Length: > 0 } header ? header : null, source);
        if (retryAfter is { } wait)
        {
            exchange.SetHeader("Retry-After", Math.Ceiling(Math.Max(wait.TotalSeconds, 1)).ToString(System.Globalization.CultureInfo.InvariantCulture));
            await exchange.RespondTextAsync(429, "too many failed logins; try again later");
            return;
        }

        if (user is null)
        {
            if (wrongPassword)
            {
                events.Record(null, new LoginFailed(source.ToString())); // bounded by the limiter's budget
            }

            exchange.SetHeader("WWW-Authenticate", "Basic realm=\"processmaster\", charset=\"UTF-8\"");
            await exchange.RespondTextAsync(401, "login required");
            return;
        }

        if (!Csrf.IsSafeMethod(request.Method) && !Csrf.Validate(request))
        {
            await exchange.RespondTextAsync(403, "csrf check failed");
            return;
        }

        var route = path[Prefix.Length..];
        switch (route)
        {
            // The original's console lived at /processmaster/status: its bookmarks open this one.
            case "/" or "/status" when request.IsGet:
                await ServePageAsync(exchange);
                break;
            case "/rpc" when request.Method == "POST":
                await RpcAsync(exchange, user, source);
                break;
            case "/stream" when request.IsGet:
                await StatusStreamAsync(exchange, Peer(user, source));
                break;
            case "/logs" when request.IsGet:
                await LogStreamAsync(exchange, Peer(user, source));
                break;
            default:
                await exchange.RespondTextAsync(404, "not found");
                break;
        }
    }

    private static void SetSecurityHeaders(HttpExchange exchange)
    {
        exchange.SetHeader("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
        exchange.SetHeader("X-Frame-Options", "DENY");
        exchange.SetHeader("X-Content-Type-Options", "nosniff");
        exchange.SetHeader("Referrer-Policy", "no-referrer");
        exchange.SetHeader("Cross-Origin-Opener-Policy", "same-origin");
        exchange.SetHeader("Cache-Control", "no-store");
    }

    private async Task ServePageAsync(HttpExchange exchange)
    {
        var token = Csrf.EnsureToken(exchange);
        var identity = BuildIdentity.Current;
        var page = WebAssets.Text("index.html")
            .Replace("{{csrf}}", WebUtility.HtmlEncode(token), StringComparison.Ordinal)
            .Replace("{{build}}", WebUtility.HtmlEncode($"{identity.BuildHost} · {identity.PrettyBuildTime} UTC"), StringComparison.Ordinal)
            .Replace("{{build_id}}", WebUtility.HtmlEncode(identity.BuildId), StringComparison.Ordinal);
        await exchange.RespondAsync(200, "text/html; charset=utf-8", Encoding.UTF8.GetBytes(page));
    }

    private static async Task ServeAssetAsync(HttpExchange exchange, string name)
    {
        if (WebAssets.Find(name) is not { } asset || name == "index.html")
        {
            await exchange.RespondTextAsync(404, "not found");
            return;
        }

        exchange.SetHeader("Cache-Control", "public, max-age=3600");
        await exchange.RespondAsync(200, asset.Type, asset.Content);
    }

    private async Task RpcAsync(HttpExchange exchange, string user, IPAddress source)
    {
        using var session = new RpcSession(_ => ValueTask.CompletedTask, requiresHello: false, peer: Peer(user, source), actor: () => $"{user} via web {source}", canStream: false);
        var reply = await dispatcher.HandleAsync(exchange.Request.Body, session);
        await exchange.RespondAsync(200, "application/json", reply ?? ReadOnlyMemory<byte>.Empty);
    }

    private static string Peer(string user, IPAddress source) => $"web:{user}@{source}";
}
