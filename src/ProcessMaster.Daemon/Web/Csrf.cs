using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

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
    public static string EnsureToken(HttpContext context)
    {
        if (context.Request.Cookies.TryGetValue(CookieName, out var existing) && existing.Length == 43)
        {
            return existing;
        }

        var token = System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        context.Response.Cookies.Append(CookieName, token, new CookieOptions
        {
            Path = "/processmaster/",
            SameSite = SameSiteMode.Strict,
            HttpOnly = true,
            Secure = context.Request.IsHttps,
        });
        return token;
    }

    public static bool IsSafeMethod(string method) => HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method);

    /// <summary>True when the header matches the cookie (compared in constant time).</summary>
    public static bool Validate(HttpContext context)
    {
        var cookie = context.Request.Cookies[CookieName];
        var header = context.Request.Headers[HeaderName].ToString();
        return cookie is { Length: > 0 } && header.Length > 0 &&
               CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(cookie), Encoding.UTF8.GetBytes(header));
    }
}
