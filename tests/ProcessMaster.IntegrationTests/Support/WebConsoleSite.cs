using System.Net.Http.Headers;
using System.Text;

namespace ProcessMaster.IntegrationTests.Support;

/// <summary>A test daemon with its web console on, and HTTP clients that log in to it.</summary>
public static class WebConsoleSite
{
    public const string User = "ops";
    public const string Password = "secret";

    public static async Task<(TestDaemon Daemon, string Url)> StartAsync(string extra = "", string bind = "127.0.0.1", bool withUser = true, Action<TestDaemon>? services = null)
    {
        var port = FreePort.Next();
        var hash = BCryptHash(Password);
        var auth = withUser ? $"  auth:\n    basic:\n      users: [\"{User}:{hash}\"]\n" : "";
        var daemon = new TestDaemon($"web_console:\n  enabled: true\n  bind: \"{bind}\"\n  port: {port}\n{auth}{extra}");
        daemon.AddShellService("web", "exec sleep 1000");
        services?.Invoke(daemon);
        await daemon.StartAsync();
        return (daemon, $"http://127.0.0.1:{port}/processmaster/");
    }

    public static string BCryptHash(string password)
    {
        var result = Run.ProgramAsync(Dist.Pmctl, ["password", "generate", "--user", "x"], stdin: password + "\n").GetAwaiter().GetResult();
        return result.Stdout.Trim()[2..];
    }

    public static HttpClient Client(bool login = true)
    {
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true });
        if (login)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{Password}")));
        }

        return client;
    }

    public static async Task<string> CsrfTokenAsync(HttpClient client, string url)
    {
        var page = await client.GetStringAsync(url);
        var start = page.IndexOf("name=\"csrf-token\" content=\"", StringComparison.Ordinal) + 27;
        return page[start..page.IndexOf('"', start)];
    }

    public static StringContent Rpc(string method, string parameters = "{}") =>
        new($"{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"{method}\",\"params\":{parameters}}}", Encoding.UTF8, "application/json");
}
