using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using ProcessMaster.Daemon.Control;
using ProcessMaster.Protocol;

namespace ProcessMaster.Daemon.Web;

/// <summary>
/// Every request of the console: the page and its assets, JSON-RPC through the daemon's one dispatcher,
/// and the Server-Sent Event streams. Everything except the static assets and the redirect needs a
/// Basic login; every state-changing request also needs the CSRF token.
/// </summary>
internal sealed partial class WebConsoleHandler(
    DaemonRuntime runtime,
    RpcDispatcher dispatcher,
    BasicAuthenticator authenticator,
    LoginRateLimiter limiter)
{
    private const string Prefix = "/processmaster";

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        SetSecurityHeaders(response);
        var path = request.Path.Value ?? "/";

        if (path is "/" or "/index.html" || path == Prefix)
        {
            response.StatusCode = StatusCodes.Status307TemporaryRedirect;
            response.Headers.Location = Prefix + "/";
            return;
        }

        if (path.StartsWith(Prefix + "/static/", StringComparison.Ordinal) && HttpMethods.IsGet(request.Method))
        {
            await ServeAssetAsync(response, path[(Prefix.Length + "/static/".Length)..]);
            return;
        }

        if (!path.StartsWith(Prefix + "/", StringComparison.Ordinal))
        {
            await TextAsync(response, StatusCodes.Status404NotFound, "not found");
            return;
        }

        var source = context.Connection.RemoteIpAddress ?? IPAddress.None;
        var header = request.Headers.Authorization.ToString();
        var (user, retryAfter, wrongPassword) = limiter.RetryAfter(source) is { } blocked
            ? new BasicAuthenticator.Outcome(null, blocked)
            : authenticator.Authenticate(header.Length > 0 ? header : null, source);
        if (retryAfter is { } wait)
        {
            response.Headers.RetryAfter = Math.Ceiling(Math.Max(wait.TotalSeconds, 1)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            await TextAsync(response, StatusCodes.Status429TooManyRequests, "too many failed logins; try again later");
            return;
        }

        if (user is null)
        {
            if (wrongPassword)
            {
                runtime.Events.Record(null, "web", $"failed login from {source}"); // bounded by the limiter's budget
            }

            response.Headers.WWWAuthenticate = "Basic realm=\"processmaster\", charset=\"UTF-8\"";
            await TextAsync(response, StatusCodes.Status401Unauthorized, "login required");
            return;
        }

        if (!Csrf.IsSafeMethod(request.Method) && !Csrf.Validate(context))
        {
            await TextAsync(response, StatusCodes.Status403Forbidden, "csrf check failed");
            return;
        }

        var route = path[Prefix.Length..];
        switch (route)
        {
            // The original's console lived at /processmaster/status: its bookmarks open this one.
            case "/" or "/status" when HttpMethods.IsGet(request.Method):
                await ServePageAsync(context);
                break;
            case "/rpc" when HttpMethods.IsPost(request.Method):
                await RpcAsync(context, user, source);
                break;
            case "/stream" when HttpMethods.IsGet(request.Method):
                await StatusStreamAsync(context, Peer(user, source));
                break;
            case "/logs" when HttpMethods.IsGet(request.Method):
                await LogStreamAsync(context, Peer(user, source));
                break;
            default:
                await TextAsync(response, StatusCodes.Status404NotFound, "not found");
                break;
        }
    }

    private static void SetSecurityHeaders(HttpResponse response)
    {
        var headers = response.Headers;
        headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
        headers.XFrameOptions = "DENY";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers.CacheControl = "no-store";
    }

    private async Task ServePageAsync(HttpContext context)
    {
        var token = Csrf.EnsureToken(context);
        var identity = BuildIdentity.Current;
        var page = WebAssets.Text("index.html")
            .Replace("{{csrf}}", WebUtility.HtmlEncode(token), StringComparison.Ordinal)
            .Replace("{{build}}", WebUtility.HtmlEncode($"{identity.BuildHost} · {identity.PrettyBuildTime} UTC"), StringComparison.Ordinal)
            .Replace("{{build_id}}", WebUtility.HtmlEncode(identity.BuildId), StringComparison.Ordinal);
        context.Response.ContentType = "text/html; charset=utf-8";
        await context.Response.WriteAsync(page);
    }

    private static async Task ServeAssetAsync(HttpResponse response, string name)
    {
        if (WebAssets.Find(name) is not { } asset || name == "index.html")
        {
            await TextAsync(response, StatusCodes.Status404NotFound, "not found");
            return;
        }

        response.ContentType = asset.Type;
        response.Headers.CacheControl = "public, max-age=3600";
        await response.Body.WriteAsync(asset.Content);
    }

    private async Task RpcAsync(HttpContext context, string user, IPAddress source)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        using var session = new RpcSession(_ => ValueTask.CompletedTask, requiresHello: false, peer: Peer(user, source), actor: () => $"{user} via web {source}", canStream: false);
        var reply = await dispatcher.HandleAsync(body.ToArray(), session);
        context.Response.ContentType = "application/json";
        if (reply is not null)
        {
            await context.Response.Body.WriteAsync(reply, context.RequestAborted);
        }
    }

    private static string Peer(string user, IPAddress source) => $"web:{user}@{source}";

    private static Task TextAsync(HttpResponse response, int status, string text)
    {
        response.StatusCode = status;
        response.ContentType = "text/plain; charset=utf-8";
        return response.WriteAsync(text + "\n");
    }
}
