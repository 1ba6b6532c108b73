using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ProcessMaster.IntegrationTests.Support;
using static ProcessMaster.IntegrationTests.Support.WebConsoleSite;

namespace ProcessMaster.IntegrationTests;

/// <summary>The web console over plain HTTP requests: authentication, CSRF, limits, refusals, JSON-RPC.</summary>
public class WebConsoleHttpTests
{
    [SystemFact]
    public async Task WithoutLogin_401WithAChallenge_StaticAssetsAndRedirectStillServed()
    {
        var (daemon, url) = await StartAsync();
        await using var _ = daemon;
        using var anonymous = Client(login: false);
        var page = await anonymous.GetAsync(url);
        Assert.Equal(HttpStatusCode.Unauthorized, page.StatusCode);
        Assert.Equal("Basic realm=\"processmaster\", charset=\"UTF-8\"", page.Headers.WwwAuthenticate.ToString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync(url + "rpc", Rpc("status"))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(url + "stream")).StatusCode);

        var root = await anonymous.GetAsync(url.Replace("/processmaster/", "/"));
        Assert.Equal(HttpStatusCode.TemporaryRedirect, root.StatusCode);
        Assert.Equal("/processmaster/", root.Headers.Location!.ToString());
        var script = await anonymous.GetAsync(url + "static/app.js");
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType!.MediaType);

        using var wrong = new HttpClient();
        wrong.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:nope")));
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync(url)).StatusCode);
    }

    [SystemFact]
    public async Task Page_HasSecurityHeaders_AndTheCsrfTokenAndBuild()
    {
        var (daemon, url) = await StartAsync();
        await using var _ = daemon;
        using var client = Client();
        var response = await client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("default-src 'self'", response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        var cookie = response.Headers.GetValues("Set-Cookie").Single();
        Assert.Contains("pm_csrf=", cookie);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        var page = await response.Content.ReadAsStringAsync();
        Assert.Matches("<meta name=\"csrf-token\" content=\"[A-Za-z0-9_-]{43}\">", page);
        Assert.Contains($"build {DistIdentity.Value.BuildId}", page);
    }

    [SystemFact]
    public async Task Rpc_NeedsTheCsrfToken_AndServesEveryMethodThroughTheSameDispatcher()
    {
        var (daemon, url) = await StartAsync();
        await using var _ = daemon;
        using var client = Client();
        var token = await CsrfTokenAsync(client, url);

        var missing = await client.PostAsync(url + "rpc", Rpc("status"));
        Assert.Equal(HttpStatusCode.Forbidden, missing.StatusCode);
        Assert.Equal("csrf check failed\n", await missing.Content.ReadAsStringAsync());

        client.DefaultRequestHeaders.Add("X-CSRF-Token", token + "x");
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsync(url + "rpc", Rpc("status"))).StatusCode);
        client.DefaultRequestHeaders.Remove("X-CSRF-Token");
        client.DefaultRequestHeaders.Add("X-CSRF-Token", token);

        var status = JsonDocument.Parse(await (await client.PostAsync(url + "rpc", Rpc("status"))).Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("web", status.GetProperty("result").GetProperty("services")[0].GetProperty("name").GetString());
        var unknown = JsonDocument.Parse(await (await client.PostAsync(url + "rpc", Rpc("nope"))).Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(-32601, unknown.GetProperty("error").GetProperty("code").GetInt32());
        var badParams = JsonDocument.Parse(await (await client.PostAsync(url + "rpc", Rpc("stop", "{\"name\":5}"))).Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(-32602, badParams.GetProperty("error").GetProperty("code").GetInt32());
        var malformed = JsonDocument.Parse(await (await client.PostAsync(url + "rpc", new StringContent("{oops"))).Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(-32700, malformed.GetProperty("error").GetProperty("code").GetInt32());

        var stop = JsonDocument.Parse(await (await client.PostAsync(url + "rpc", Rpc("stop", "{\"name\":\"web\"}"))).Content.ReadAsStringAsync()).RootElement;
        Assert.True(stop.GetProperty("result").GetProperty("ok").GetBoolean());
        Assert.Equal("STOPPED", (await daemon.StatusAsync("web")).State);
        var events = await daemon.EventsAsync("web");
        Assert.Contains(events.OfKind("operator_action"), e => (e.Field("action"), e.Field("target"), e.Field("by")) == ("stop", "web", $"{User} via web 127.0.0.1"));
        Assert.Contains(events.Transitions(), t => t == ("STOPPING", "STOPPED", "operator"));
    }

    [SystemFact]
    public async Task RepeatedFailedLogins_AreRateLimitedPerSource()
    {
        var (daemon, url) = await StartAsync();
        await using var _ = daemon;
        using var guesser = new HttpClient();
        guesser.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("ops:guess")));
        var codes = new List<HttpStatusCode>();
        for (var i = 0; i < 7; i++)
        {
            codes.Add((await guesser.GetAsync(url)).StatusCode);
        }

        Assert.Equal(Enumerable.Repeat(HttpStatusCode.Unauthorized, 5), codes.Take(5));
        Assert.Equal(HttpStatusCode.TooManyRequests, codes[5]);
        using var right = Client();
        var blocked = await right.GetAsync(url); // the source is blocked, even with the right password
        Assert.Equal(HttpStatusCode.TooManyRequests, blocked.StatusCode);
        Assert.True(blocked.Headers.RetryAfter!.Delta > TimeSpan.Zero);
        Assert.Contains((await daemon.EventsAsync()).OfKind("login_failed"), e => e.Field("source") == "127.0.0.1");
    }

    [SystemFact]
    public async Task StatusStream_CarriesTheProtocolsMessages_StatusThenEvents()
    {
        var (daemon, url) = await StartAsync();
        await using var _ = daemon;
        using var client = Client();
        using var stream = await client.GetStreamAsync(url + "stream");
        using var reader = new StreamReader(stream);
        var first = await NextMessageAsync(reader);
        Assert.Equal(1, first.GetProperty("id").GetInt32());
        Assert.Equal("web", first.GetProperty("result").GetProperty("services")[0].GetProperty("name").GetString());

        await daemon.PmctlOkAsync("restart", "web");
        var methods = new HashSet<string>();
        for (var i = 0; i < 200 && !(methods.Contains("events.event") && methods.Contains("status.changed")); i++)
        {
            if ((await NextMessageAsync(reader)).TryGetProperty("method", out var method))
            {
                methods.Add(method.GetString()!);
            }
        }

        Assert.Contains("events.event", methods);
        Assert.Contains("status.changed", methods);
    }

    [SystemFact]
    public async Task LogStream_SendsTheTailThenNewLines_AndAStreamMethodOnRpcIsRefused()
    {
        var (daemon, url) = await StartAsync();
        await using var _ = daemon;
        using var client = Client();
        using var stream = await client.GetStreamAsync(url + "logs?name=web&n=5");
        using var reader = new StreamReader(stream);
        var reply = await NextMessageAsync(reader);
        Assert.Equal(JsonValueKind.Array, reply.GetProperty("result").GetProperty("files").ValueKind);

        var invalid = await NextMessageAsync(new StreamReader(await client.GetStreamAsync(url + "logs?name=web&n=-1")));
        Assert.Contains("parameter 'n' must be between 0 and", invalid.GetProperty("error").GetProperty("message").GetString());
        var unknown = await NextMessageAsync(new StreamReader(await client.GetStreamAsync(url + "logs?name=nope")));
        Assert.Equal("unknown service: nope", unknown.GetProperty("error").GetProperty("message").GetString());

        client.DefaultRequestHeaders.Add("X-CSRF-Token", await CsrfTokenAsync(client, url));
        var follow = JsonDocument.Parse(await (await client.PostAsync(url + "rpc", Rpc("logs.follow", "{\"name\":\"web\"}"))).Content.ReadAsStringAsync()).RootElement;
        Assert.Contains("logs.follow streams notifications", follow.GetProperty("error").GetProperty("message").GetString());
    }

    /// <summary>The next Server-Sent Event's data: one JSON-RPC message.</summary>
    private static async Task<JsonElement> NextMessageAsync(StreamReader reader)
    {
        while (true)
        {
            var line = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.NotNull(line);
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                return JsonDocument.Parse(line["data: ".Length..]).RootElement.Clone();
            }
        }
    }

    [SystemFact]
    public async Task TheGeneratedPasswordOffLoopback_IsRefused_TheDaemonKeepsRunning()
    {
        var (daemon, _) = await StartAsync(bind: "0.0.0.0", withUser: false, extra: "  allow_plaintext_remote: true\n");
        await using var __ = daemon;
        Assert.Contains((await daemon.EventsAsync()).OfKind("web_console_not_started"),
            e => e.Field("reason")!.StartsWith("without web_console.auth the generated admin password is only accepted on a loopback bind", StringComparison.Ordinal));
        Assert.Equal("RUNNING", (await daemon.StatusAsync("web")).State);
    }

    [SystemFact]
    public async Task WithoutAnAuthSection_TheLoginIsAdminWithAPasswordGeneratedOnFirstStart_KeptRootOnly()
    {
        var (daemon, url) = await StartAsync(withUser: false);
        await using var _ = daemon;
        var file = Path.Combine(daemon.Directory, "state", "web-console.password");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        var password = File.ReadAllText(file).Trim();
        Assert.True(password.Length >= 20);
        Assert.Contains($"web console login: user admin, password generated into {file} (readable by root only)", daemon.Output);

        using var admin = new HttpClient();
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:admin")));
        Assert.Equal(HttpStatusCode.Unauthorized, (await admin.GetAsync(url)).StatusCode); // no well-known password
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{password}")));
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync(url)).StatusCode);

        // The same password after a restart.
        await daemon.TerminateAsync();
        await daemon.StartAsync();
        Assert.Equal(password, File.ReadAllText(file).Trim());
        Assert.Contains($"web console login: user admin, password in {file}", daemon.Output);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync(url)).StatusCode);
    }

    [SystemFact]
    public async Task PlainHttpOffLoopback_NeedsAllowPlaintextRemote()
    {
        var (refused, refusedUrl) = await StartAsync(bind: "0.0.0.0");
        await using (refused)
        {
            Assert.Contains((await refused.EventsAsync()).OfKind("web_console_not_started"),
                e => e.Field("reason")!.StartsWith("plain HTTP on 0.0.0.0 would send passwords in clear text", StringComparison.Ordinal));
            using var client = Client();
            await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(refusedUrl));
        }

        var (allowed, allowedUrl) = await StartAsync(bind: "0.0.0.0", extra: "  allow_plaintext_remote: true\n");
        await using (allowed)
        {
            using var client = Client();
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(allowedUrl)).StatusCode);
        }
    }

    [SystemFact]
    public async Task Tls_WithAGeneratedCertificate_ServesHttps()
    {
        var (daemon, url) = await StartAsync(extra: "  tls:\n    enabled: true\n");
        await using var _ = daemon;
        var https = url.Replace("http://", "https://");
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert!.Subject.StartsWith("CN=") };
        using var client = new HttpClient(handler);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{Password}")));
        var response = await client.GetAsync(https);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("secure", response.Headers.GetValues("Set-Cookie").Single(), StringComparison.OrdinalIgnoreCase);
        var key = Path.Combine(daemon.Directory, "state", "web-console.key.pem");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
    }

    [SystemFact]
    public async Task RequestsItDoesNotTake_AreAnsweredWithAStatus_AndTheConsoleServesOn()
    {
        var (daemon, url) = await StartAsync();
        await using var _ = daemon;
        var port = new Uri(url).Port;
        var login = $"Authorization: Basic {Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{Password}"))}\r\n";

        Assert.StartsWith("HTTP/1.1 400 ", await RawAsync(port, "GARBAGE\r\n\r\n"));
        Assert.StartsWith("HTTP/1.1 400 ", await RawAsync(port, $"POST /processmaster/rpc HTTP/1.1\r\n{login}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"));
        Assert.StartsWith("HTTP/1.1 400 ", await RawAsync(port, $"POST /processmaster/rpc HTTP/1.1\r\n{login}Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello"));
        Assert.StartsWith("HTTP/1.1 413 ", await RawAsync(port, $"POST /processmaster/rpc HTTP/1.1\r\n{login}Content-Length: {ProcessMaster.Protocol.JsonRpc.MaxRequestBytes + 1}\r\n\r\n"));
        Assert.StartsWith("HTTP/1.1 400 ", await RawAsync(port, "GET /processmaster/ HTTP/1.1\r\nX: " + new string('a', 9000) + "\r\n\r\n"));
        var head = await RawAsync(port, $"HEAD /processmaster/static/app.js HTTP/1.1\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200 ", head);
        Assert.EndsWith("\r\n\r\n", head); // a length, no body

        using var client = Client();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(url)).StatusCode);
        Assert.Equal("RUNNING", (await daemon.StatusAsync("web")).State);
    }

    /// <summary>Sends <paramref name="request"/> as it is and reads the reply until the server closes.</summary>
    private static async Task<string> RawAsync(int port, string request)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var reply = new MemoryStream();
        await stream.CopyToAsync(reply).WaitAsync(TimeSpan.FromSeconds(30));
        return Encoding.ASCII.GetString(reply.ToArray());
    }
}
