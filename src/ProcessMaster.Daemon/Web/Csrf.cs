using System.Security.Cryptography;
using System.Text;
using ProcessMaster.Daemon.Http;

namespace ProcessMaster.Daemon.Web;

/// <summary>
/// Double-submit CSRF protection: the page carries a random token that is also set as a SameSite=Strict
/// cookie; every state-changing request must send it back in the X-CSRF-Token header.
/// </summary>
internal static class Csrf
{
    public const string CookieName = "pm_csrf";
    public const string HeaderName = "X-CSRF-Token";

    /// <summary>The session's token, issuing a new cookie when there is none.</summary>
    public static string EnsureToken(HttpExchange exchange)
    {
        if (exchange.Request.Cookie(CookieName) is { Length: 43 } existing && System.Buffers.Text.Base64Url.IsValid(existing))
        {
            return existing;
        }

        var token = System.Buffers.Text.Base64Url.EncodeToString(Core.Interop.KernelRandom.GetBytes(32));
        exchange.SetHeader("Set-Cookie", $"{CookieName}={token}; path=/processmaster/; samesite=strict; httponly{(exchange.IsHttps ? "; secure" : "")}");
        return token;
    }

    public static bool IsSafeMethod(string method) => method is "GET" or "HEAD" or "OPTIONS";

    /// <summary>True when the header matches the cookie (compared in constant time).</summary>
    public static bool Validate(HttpRequest request)
    {
        var cookie = request.Cookie(CookieName);
        var header = request.Header(HeaderName) ?? "";
        return cookie is { Length: > 0 } && header.Length > 0 &&
               CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(cookie), Encoding.UTF8.GetBytes(header));
    }
}
