using System.Diagnostics;
using System.Net.Sockets;
using ProcessMaster.IntegrationTests.Support;

namespace ProcessMaster.IntegrationTests;

/// <summary>Readiness and liveness with real programs: redis speaking sd_notify, an HTTP server that hangs, an exec check.</summary>
public class HealthTests
{
    private const string Redis = "/usr/bin/redis-server";

    private static string RedisService(int port, string supervised) => $$"""
        process:
          working_directory: {wd}
          start_command: ["{{Redis}}", "--port", "{{port}}", "--bind", "127.0.0.1", "--supervised", "{{supervised}}", "--save", "", "--appendonly", "no", "--daemonize", "no"]
        readiness_probe:
          notify: {}
        """;

    /// <summary>A service running <paramref name="program"/> with python3, with <paramref name="settings"/> (probes) after its process.</summary>
    private static string PythonService(string program, string settings) =>
        "process:\n  working_directory: {wd}\n  start_command:\n    - python3\n    - -c\n    - |\n"
        + string.Concat(program.Split('\n').Select(line => "      " + line + "\n")) + settings + "\n";

    private static bool Accepts(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    [SystemFact]
    public async Task Redis_SupervisedBySystemd_IsHealthyOnlyOnceItSaysReady_AndNotForAnOpenPort()
    {
        Assert.True(File.Exists(Redis), "redis-server is needed (./test.sh installs it)");
        await using var daemon = new TestDaemon();
        var port = FreePort.Next();
        var silent = FreePort.Next();
        daemon.AddService("redis", RedisService(port, "systemd"));
        daemon.AddService("quiet", RedisService(silent, "no")); // listens, but never says READY=1
        await daemon.StartAsync();

        var healthy = await Eventually.ValueAsync(() => daemon.StatusAsync("redis"), s => s.Health == "healthy", TimeSpan.FromSeconds(30), "redis to be healthy");
        Assert.True(Accepts(port), "healthy before its port accepts connections");
        Assert.Equal("Ready to accept connections", healthy.NotifyStatus);
        Assert.Contains((await daemon.EventsAsync("redis")).OfKind("probe_changed"),
            e => (e.Field("probe"), e.Field("verdict"), e.Field("check")) == ("readiness", "healthy", null));

        // The other one has had its port open all along and is still only starting.
        await Eventually.TrueAsync(() => Accepts(silent), TimeSpan.FromSeconds(30), "the second redis to listen");
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(3))
        {
            Assert.Equal("starting", (await daemon.StatusAsync("quiet")).Health);
            await Task.Delay(250);
        }
    }

    [SystemFact]
    public async Task ANotifyServiceWithAWatchdog_StaysHealthyAndUntouched_AcrossReexecsAndACrashOfTheDaemon()
    {
        await using var daemon = new TestDaemon();
        // Pings every 300 ms; a daemon's absence for a moment only makes a ping fail (ignored, as sd_notify does).
        daemon.AddService("pinger", PythonService(
            """
            import os, socket, time
            address = os.environ["NOTIFY_SOCKET"]
            address = "\0" + address[1:] if address.startswith("@") else address
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            def notify(state):
                try:
                    s.sendto(state.encode(), address)
                except OSError:
                    pass
            notify("READY=1\nSTATUS=ping 0")
            n = 0
            while True:
                time.sleep(0.3)
                n += 1
                notify(f"WATCHDOG=1\nSTATUS=ping {n}")
            """,
            """
            readiness_probe:
              notify: {watchdog_sec: 3s}
            """));
        await daemon.StartAsync();
        var first = await Eventually.ValueAsync(() => daemon.StatusAsync("pinger"), s => s.Health == "healthy", TimeSpan.FromSeconds(30), "pinger to be healthy");
        Assert.StartsWith("ping ", first.NotifyStatus);
        Assert.Contains(File.ReadAllText($"/proc/{first.MainPid}/environ").Split('\0'), v => v == "WATCHDOG_USEC=3000000");

        for (var round = 0; round < 2; round++)
        {
            await daemon.PmctlOkAsync("daemon-reexec");
        }

        await daemon.WaitForSavedAsync("pinger", first.MainPid!.Value);
        await daemon.KillAsync();
        await daemon.StartAsync();
        // Twelve more pings heard (3.6 s, longer than the watchdog): a watchdog left unarmed or a socket gone would show by then.
        var heard = Pings(await daemon.StatusAsync("pinger"));
        var after = await Eventually.ValueAsync(() => daemon.StatusAsync("pinger"), s => Pings(s) >= heard + 12, TimeSpan.FromSeconds(60), "twelve more pings");
        Assert.Equal((first.MainPid, 0, "healthy"), (after.MainPid, after.Restarts, after.Health));
        Assert.DoesNotContain((await daemon.EventsAsync("pinger")).OfKind("probe_changed"), e => e.Field("verdict") == "watchdog_expired");
    }

    private static int Pings(Protocol.ServiceStatus status) =>
        status.NotifyStatus is { } said && said.StartsWith("ping ", StringComparison.Ordinal) ? int.Parse(said[5..], System.Globalization.CultureInfo.InvariantCulture) : 0;

    [SystemFact]
    public async Task AnHttpServerThatStopsAnsweringButLives_IsRestartedByItsLivenessProbe_AndTheEventSaysWhy()
    {
        await using var daemon = new TestDaemon();
        var port = FreePort.Next();
        // Answers three checks, then takes every request and never replies: alive, but hung.
        daemon.AddService("web", PythonService(
            $$"""
            import http.server, time
            class Handler(http.server.BaseHTTPRequestHandler):
                count = 0
                def do_GET(self):
                    Handler.count += 1
                    if Handler.count > 3:
                        open('hung', 'w').write(repr(time.time()))
                        time.sleep(100000)
                    self.send_response(200)
                    self.end_headers()
                def log_message(self, *args):
                    pass
            http.server.HTTPServer(('127.0.0.1', {{port}}), Handler).serve_forever()
            """,
            $$"""
            liveness_probe:
              http: {url: "http://127.0.0.1:{{port}}/health"}
              period: 1s
              timeout: 500ms
              failure_threshold: 3
            """));
        await daemon.StartAsync();
        var first = await daemon.WaitForStateAsync("web", "RUNNING");

        var restarted = await Eventually.ValueAsync(() => daemon.StatusAsync("web"), s => s.Restarts == 1 && s.State == "RUNNING",
            TimeSpan.FromSeconds(60), "web to be restarted by its liveness probe");
        Assert.NotEqual(first.MainPid, restarted.MainPid);
        var webEvents = await daemon.EventsAsync("web");
        var failed = Assert.Single(webEvents.OfKind("probe_changed"), e => e.Field("verdict") == "liveness_failed");
        Assert.Equal(("liveness", $"http GET http://127.0.0.1:{port}/health", "3"), (failed.Field("probe"), failed.Field("check"), failed.Field("failures")));
        Assert.Equal($"GET http://127.0.0.1:{port}/health got no answer within 500ms", failed.Field("detail"));
        Assert.Contains(webEvents.Transitions(), t => t == ("RUNNING", "STOPPING", "liveness_failure"));
        Assert.Contains(webEvents.Transitions(), t => t == ("STOPPING", "BACKOFF", "liveness_failure"));

        // Three failed checks a period apart: not before two periods after it hung, and not long after three.
        var hung = DateTimeOffset.FromUnixTimeMilliseconds((long)(double.Parse(File.ReadAllText(Path.Combine(daemon.WorkDir("web"), "hung")), System.Globalization.CultureInfo.InvariantCulture) * 1000));
        var waited = failed.Ts - hung;
        Assert.InRange(waited, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(15));
    }

    [SystemFact]
    public async Task AnHttpsProbe_TrustsASelfSignedCertificateOnlyWhenToldNotToVerify_AndSendsItsHostHeader()
    {
        await using var daemon = new TestDaemon();
        var wd = daemon.WorkDir("tls");
        var cert = await Run.ProgramAsync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=app.example",
            "-keyout", Path.Combine(wd, "key.pem"), "-out", Path.Combine(wd, "cert.pem")]);
        Assert.True(cert.ExitCode == 0, cert.Output);
        var port = FreePort.Next();
        daemon.AddService("tls", PythonService(
            $$"""
            import http.server, os, ssl
            class Handler(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    with open('host.new', 'w') as f: # the test never reads a half-written file
                        f.write(self.headers['Host'])
                    os.replace('host.new', 'host')
                    self.send_response(204)
                    self.end_headers()
                def log_message(self, *args):
                    pass
            server = http.server.HTTPServer(('127.0.0.1', {{port}}), Handler)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain('cert.pem', 'key.pem')
            server.socket = context.wrap_socket(server.socket, server_side=True)
            server.serve_forever()
            """,
            $$"""
            readiness_probe:
              http: {url: "https://127.0.0.1:{{port}}/ready", host: app.example, verify_tls: false}
              period: 300ms
              timeout: 300ms
            """));
        daemon.AddService("strict", $$"""
            process:
              working_directory: {wd}
              start_command: ["/bin/sleep", "100000"]
            depends_on: # so that its checks meet the certificate, not a closed port
              tls: {condition: healthy}
            readiness_probe:
              http: {url: "https://127.0.0.1:{{port}}/ready", host: app.example}
              period: 300ms
              timeout: 300ms
            """);
        await daemon.StartAsync();

        try
        {
            await Eventually.ValueAsync(() => daemon.StatusAsync("tls"), s => s.Health == "healthy", TimeSpan.FromSeconds(30), "tls to be healthy");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\n{await daemon.PmctlOkAsync("events", "tls")}\n{await daemon.PmctlOkAsync("logs", "tls")}", e);
        }
        Assert.Equal("app.example", File.ReadAllText(Path.Combine(daemon.WorkDir("tls"), "host")));
        var events = await Eventually.ValueAsync(() => daemon.EventsAsync("strict"),
            e => e.OfKind("probe_changed").Any(p => p.Field("verdict") == "not_ready" && p.Field("check")!.StartsWith("http GET https://127.0.0.1:", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), "strict to say why it is not ready");
        var notReady = events.OfKind("probe_changed").First(p => p.Field("verdict") == "not_ready");
        Assert.True(notReady.Field("detail")!.Contains("certificate", StringComparison.OrdinalIgnoreCase), notReady.Message);
        Assert.Equal("starting", (await daemon.StatusAsync("strict")).Health);
    }

    [SystemFact]
    public async Task AnExecReadinessProbe_RunsInTheServicesCgroupAsItsUser_AndGatesHealth()
    {
        await using var daemon = new TestDaemon();
        var wd = daemon.WorkDir("svc");
        Assert.Equal(0, (await Run.ProgramAsync("chown", ["nobody", wd])).ExitCode);
        daemon.AddService("svc", """
            process:
              working_directory: {wd}
              start_command: ["/bin/sleep", "100000"]
              user: nobody
            readiness_probe:
              exec: {command: ["/bin/sh", "-c", "id -u > uid.$$; mv uid.$$ probe-uid; cat /proc/self/cgroup > cgroup.$$; mv cgroup.$$ probe-cgroup; test -e ready"]}
              period: 300ms
              timeout: 300ms
            """);
        await daemon.StartAsync();
        // Each check renames what it wrote into place: a file read while the next check writes is never half written.
        await Eventually.TrueAsync(() => File.Exists(Path.Combine(wd, "probe-cgroup")), TimeSpan.FromSeconds(20), "the probe to run");
        Assert.Equal("starting", (await daemon.StatusAsync("svc")).Health);
        Assert.Equal("65534", File.ReadAllText(Path.Combine(wd, "probe-uid")).Trim());
        Assert.Contains($"/{daemon.CgroupName}/pm-svc/", File.ReadAllText(Path.Combine(wd, "probe-cgroup")));

        File.WriteAllText(Path.Combine(wd, "ready"), "");
        await Eventually.ValueAsync(() => daemon.StatusAsync("svc"), s => s.Health == "healthy", TimeSpan.FromSeconds(20), "svc to be healthy");
        Assert.Contains((await daemon.EventsAsync("svc")).OfKind("probe_changed"),
            e => e.Field("verdict") == "healthy" && e.Field("check")!.StartsWith("exec /bin/sh -c", StringComparison.Ordinal));
    }

    [SystemFact]
    public async Task WhatAnExecCheckLeavesRunning_IsEmptiedAfterEachCheck_NotLeftInTheService()
    {
        await using var daemon = new TestDaemon();
        var wd = daemon.WorkDir("svc");
        daemon.AddService("svc", """
            process:
              working_directory: {wd}
              start_command: ["/bin/sleep", "100000"]
            liveness_probe:
              exec: {command: ["/bin/sh", "-c", "sleep 100000 & echo $! >> left-behind; cat /proc/self/cgroup > cgroup.$$; mv cgroup.$$ check-cgroup"]}
              period: 200ms
              timeout: 200ms
            """);
        await daemon.StartAsync();
        var main = (await daemon.WaitForStateAsync("svc", "RUNNING")).MainPid!.Value;
        var left = Path.Combine(wd, "left-behind");
        await Eventually.TrueAsync(() => File.Exists(left) && File.ReadAllLines(left).Length >= 5, TimeSpan.FromSeconds(30), "five checks");

        // Each check's background child is gone once its check is over; the newest check may still be under way.
        var pids = File.ReadAllLines(left).Select(int.Parse).ToList();
        await Eventually.TrueAsync(() => pids.SkipLast(1).All(pid => !ProcessTable.Exists(pid)), TimeSpan.FromSeconds(10), "the checks' leftovers to be killed");
        Assert.Contains($"/{daemon.CgroupName}/pm-svc/pm-check-liveness", File.ReadAllText(Path.Combine(wd, "check-cgroup")));
        var status = await daemon.StatusAsync("svc");
        Assert.Equal((main, 0), (status.MainPid, status.Restarts));
        // The main process, and at most the check under way (its shell, its child, its cat) and what the last one's kill is still ending.
        Assert.InRange(status.Pids.Count, 1, 5);
        Assert.Contains("svc: stopped", await daemon.PmctlOkAsync("stop", "svc"));
        Assert.All(pids, pid => Assert.False(ProcessTable.Exists(pid)));
    }
}
