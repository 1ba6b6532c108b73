using System.Net;
using ProcessMaster.Core.Configuration;

namespace ProcessMaster.Daemon.Web;

/// <summary>
/// When the web console must not start although it is enabled: the generated password off loopback, or
/// plain HTTP (basic auth in clear text) off loopback without <c>allow_plaintext_remote</c>.
/// The daemon keeps running either way and says why.
/// </summary>
internal static class WebConsolePolicy
{
    public static string? RefusalReason(WebConsoleSettings settings)
    {
        if (!settings.Enabled)
        {
            return null;
        }

        var loopback = IPAddress.IsLoopback(settings.Bind);
        if (settings.UsesGeneratedPassword && !loopback)
        {
            return $"without web_console.auth the generated admin password is only accepted on a loopback bind (bind is {settings.Bind}); " +
                   "add web_console.auth.basic.users (see `pmctl password generate`) or bind to 127.0.0.1";
        }

        if (!settings.Tls.Enabled && !loopback && !settings.AllowPlaintextRemote)
        {
            return $"plain HTTP on {settings.Bind} would send passwords in clear text; " +
                   "enable web_console.tls, bind to 127.0.0.1, or set allow_plaintext_remote: true";
        }

        return null;
    }
}
