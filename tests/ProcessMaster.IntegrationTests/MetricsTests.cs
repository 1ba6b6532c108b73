using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using ProcessMaster.IntegrationTests.Support;
using ProcessMaster.Protocol;

namespace ProcessMaster.IntegrationTests;

/// <summary>/metrics through the real daemon, checked with Prometheus' own tools.</summary>
public class MetricsTests
{
    private static TestDaemon Daemon(string metrics)
    {
        var daemon = new TestDaemon(metrics);
        daemon.AddShellService("web", "echo web-is-up; exec sleep 1000", "resources:\n  max_memory: 64MiB\n  max_cpu: 500m");
        daemon.AddService("broken", "process:\n  working_directory: {wd}\n  start_command: [\"/bin/sh\", \"-c\", \"exit 3\"]\nrestart_policy:\n  policy: never\n");
        daemon.AddService("nightly", "process:\n  working_directory: {wd}\n  start_command: [\"/bin/true\"]\n  schedule: \"30 2 * * *\"\n");
        daemon.AddShellService("idle", "exec sleep 1000", "global:\n  enabled: false");
        return daemon;
    }

    [SystemFact]
    public async Task AScrape_PassesPromtool_InBothFormats_AndShowsEveryKindOfService()
    {
        var port = FreePort.Next();
        await using var daemon = Daemon($"metrics:\n  enabled: true\n  port: {port}\n");
        await daemon.StartAsync();
        await daemon.WaitForStateAsync("web", "RUNNING");
        await daemon.WaitForStateAsync("broken", "FAILED");
        var webLog = Path.Combine(daemon.WorkDir("web"), "logs", "stdout.log");
        await Eventually.TrueAsync(() => File.Exists(webLog) && File.ReadAllText(webLog) == "web-is-up\n", TimeSpan.FromSeconds(10), "web's line in its log");
        await daemon.PmctlOkAsync("status");
        Assert.Contains($"metrics served at http://127.0.0.1:{port}/metrics (loopback: no login)", await daemon.PmctlOkAsync("events"));

        using var client = new HttpClient();
        var response = await client.GetAsync($"http://127.0.0.1:{port}/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        var text = await response.Content.ReadAsStringAsync();
        var lint = await Run.ProgramAsync("promtool", ["check", "metrics"], stdin: text);
        Assert.True(lint.ExitCode == 0, lint.Stdout + lint.Stderr);

        Assert.Contains("processmaster_service_up{service=\"web\",kind=\"service\"} 1\n", text);
        Assert.Contains("processmaster_service_state{service=\"broken\",kind=\"service\",state=\"FAILED\"} 1\n", text);
        Assert.Contains("processmaster_service_state{service=\"broken\",kind=\"service\",state=\"RUNNING\"} 0\n", text);
        Assert.Contains("processmaster_service_last_exit_code{service=\"broken\",kind=\"service\"} 3\n", text);
        Assert.Contains("processmaster_service_state{service=\"idle\",kind=\"service\",state=\"STOPPED\"} 1\n", text);
        Assert.Contains("processmaster_service_enabled{service=\"idle\",kind=\"service\"} 0\n", text);
        Assert.Matches(@"processmaster_cron_next_run_timestamp_seconds\{service=""nightly"",kind=""cron""\} \d{10}\n", text);
        Assert.Contains("processmaster_service_memory_max_bytes{service=\"web\",kind=\"service\"} 67108864\n", text);
        Assert.Matches(@"processmaster_service_memory_bytes\{service=""web"",kind=""service""\} [1-9]\d*\n", text);
        Assert.Matches(@"processmaster_service_cpu_seconds_total\{service=""web"",kind=""service"",mode=""user""\} [\d.e-]+\n", text);
        Assert.Contains("processmaster_service_processes{service=\"web\",kind=\"service\"} 1\n", text);
        Assert.Matches(@"processmaster_service_cpu_periods_total\{service=""web"",kind=""service""\} \d+\n", text);
        Assert.Matches(@"processmaster_service_log_written_bytes_total\{service=""web"",kind=""service"",stream=""(stdout|combined)""\} 1[0-9]\n", text);
        Assert.Matches(@"processmaster_service_log_dropped_bytes_total\{service=""web"",kind=""service"",stream=""(stdout|combined)""\} 0\n", text);
        Assert.Matches(@"processmaster_service_last_run_duration_seconds\{service=""broken"",kind=""service""\} [\d.e-]+\n", text);
        Assert.DoesNotContain("processmaster_service_last_run_duration_seconds{service=\"web\"", text);
        Assert.Matches(@"processmaster_daemon_allocated_bytes_total [1-9]\d*\n", text);
        Assert.Matches(@"processmaster_daemon_gc_heap_bytes [1-9]\d*\n", text);
        Assert.Matches(@"processmaster_daemon_gc_committed_bytes [1-9]\d*\n", text);
        Assert.Contains("processmaster_services{state=\"RUNNING\"} 1\n", text);
        Assert.Matches(@"processmaster_rpc_requests_total\{method=""status""\} [1-9]", text);
        Assert.Matches(@"processmaster_build_info\{build_id=""[0-9a-f]{32}"",", text);

        // OpenMetrics when asked, as Prometheus asks by default; promtool reads both.
        using var openMetrics = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/metrics");
        openMetrics.Headers.Accept.ParseAdd("application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5");
        var om = await client.SendAsync(openMetrics);
        Assert.StartsWith("application/openmetrics-text; version=1.0.0", om.Content.Headers.ContentType!.ToString());
        var omText = await om.Content.ReadAsStringAsync();
        Assert.EndsWith("# EOF\n", omText);
        Assert.Contains("# TYPE processmaster_service_restarts counter\n", omText);
        Assert.Contains("processmaster_service_restarts_total{service=\"web\",kind=\"service\"} 0\n", omText);

        // Every series the shipped alert rules and dashboard use is one the daemon exports.
        var exported = Regex.Matches(text, @"^# TYPE (\S+) ", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToHashSet();
        foreach (var file in Shipped)
        {
            var used = Regex.Matches(File.ReadAllText(file), @"processmaster_[a-z_]+").Select(m => m.Value).ToHashSet();
            Assert.NotEmpty(used);
            Assert.True(used.IsSubsetOf(exported), $"{file} uses series the daemon does not export: {string.Join(", ", used.Except(exported))}");
        }

        // The listener is handed to the next image on a re-exec: the same port answers for the new generation.
        Assert.Contains("generation 2 answers", await daemon.PmctlOkAsync("daemon-reexec"));
        Assert.Contains("processmaster_daemon_generation 2\n", await client.GetStringAsync($"http://127.0.0.1:{port}/metrics"));

        // Anything but GET /metrics is refused plainly.
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"http://127.0.0.1:{port}/")).StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await client.PostAsync($"http://127.0.0.1:{port}/metrics", new StringContent(""))).StatusCode);
    }

    /// <summary>
    /// perf_metrics, status and /metrics read through the same layout code: on this host (hybrid: memory and cpu on
    /// v1) the swap, the CPU time and its throttling, and the pressure stall time agree between them.
    /// </summary>
    [SystemFact]
    public async Task PerfMetricsStatusAndMetrics_AgreeOnSwapCpuAndPressure_WhateverTheLayout()
    {
        var port = FreePort.Next();
        await using var daemon = new TestDaemon($"metrics:\n  enabled: true\n  port: {port}\n");
        daemon.AddShellService("busy", "while :; do :; done", "resources:\n  max_memory: 64MiB\n  max_cpu: 100m");
        await daemon.StartAsync();
        await daemon.WaitForStateAsync("busy", "RUNNING");
        await using var rpc = await daemon.ConnectAsync();
        await Eventually.ValueAsync(() => rpc.CallAsync(Methods.PerfMetrics, new NameParams("busy")), p => p.CpuThrottling?.Throttled > 0,
            TimeSpan.FromSeconds(20), "the quota to throttle the loop");

        using var client = new HttpClient();
        var text = await client.GetStringAsync($"http://127.0.0.1:{port}/metrics");
        var perf = await rpc.CallAsync(Methods.PerfMetrics, new NameParams("busy"));
        var after = await client.GetStringAsync($"http://127.0.0.1:{port}/metrics");
        double Sample(string metrics, string name, string labels = "") =>
            double.Parse(Regex.Match(metrics, $@"^processmaster_{name}\{{service=""busy"",kind=""service""{labels}\}} (\S+)$", RegexOptions.Multiline).Groups[1].Value,
                System.Globalization.CultureInfo.InvariantCulture);

        // The same swap figure (0 here, not absent where the v1 memory controller counts it).
        Assert.Equal(Sample(text, "service_swap_bytes"), (double)perf.SwapCurrent!.Value);
        // Throttling: one v1 or v2 cpu.stat, so perf_metrics' counters lie between the two scrapes.
        Assert.InRange(perf.CpuStat["nr_throttled"], Sample(text, "service_cpu_throttled_periods_total"), Sample(after, "service_cpu_throttled_periods_total"));
        Assert.InRange(perf.CpuThrottling!.Throttled, Sample(text, "service_cpu_throttled_periods_total"), Sample(after, "service_cpu_throttled_periods_total"));
        Assert.InRange(perf.CpuStat["usage_usec"] / 1e6, Sample(text, "service_cpu_seconds_total", ",mode=\"user\"") , double.MaxValue);
        if (perf.CpuPressure is { Some: { } some })
        {
            Assert.InRange(some.Total / 1e6, Sample(text, "service_pressure_seconds_total", ",resource=\"cpu\",level=\"some\""),
                Sample(after, "service_pressure_seconds_total", ",resource=\"cpu\",level=\"some\""));
        }

        var status = await daemon.StatusAsync("busy");
        Assert.InRange((double)status.MemoryBytes!.Value, 1, 64 * 1024 * 1024);
    }

    /// <summary>A kernel without PSI files (or PSI turned off) leaves pressure out of /metrics and perf-metrics: absent, not zero.</summary>
    [SystemTheory]
    [InlineData("", true)]
    [InlineData("psi", false)]
    public async Task Pressure_IsExportedWhereTheKernelHasIt_AndAbsentWhereNot(string disabled, bool present)
    {
        var port = FreePort.Next();
        await using var daemon = new TestDaemon($"metrics:\n  enabled: true\n  port: {port}\n");
        daemon.Environment["PM_DISABLE_FEATURES"] = disabled;
        daemon.AddShellService("web", "exec sleep 1000");
        await daemon.StartAsync();
        await daemon.WaitForStateAsync("web", "RUNNING");
        using var client = new HttpClient();
        var text = await client.GetStringAsync($"http://127.0.0.1:{port}/metrics");
        var perf = await daemon.PmctlOkAsync("perf-metrics", "web", "--once");
        Assert.Equal(present, text.Contains("processmaster_service_pressure_seconds_total{service=\"web\",kind=\"service\",resource=\"cpu\",level=\"some\"}"));
        Assert.Equal(present, perf.Contains("psi.cpu: some avg10=", StringComparison.Ordinal));
    }

    private static readonly string[] Shipped =
    [
        Path.Combine(Dist.Root, "packaging", "prometheus", "processmaster-rules.yml"),
        Path.Combine(Dist.Root, "packaging", "grafana", "processmaster-dashboard.json"),
    ];

    [SystemFact]
    public async Task TheShippedAlertRules_PassTheirPromtoolTests()
    {
        var directory = Path.Combine(Dist.Root, "packaging", "prometheus");
        var check = await Run.ProgramAsync("promtool", ["check", "rules", "processmaster-rules.yml"], workingDirectory: directory);
        Assert.True(check.ExitCode == 0, check.Stdout + check.Stderr);
        Assert.Contains("SUCCESS: 7 rules found", check.Stdout);
        var test = await Run.ProgramAsync("promtool", ["test", "rules", "processmaster-rules.test.yml"], workingDirectory: directory);
        Assert.True(test.ExitCode == 0, test.Stdout + test.Stderr);
        // Each alert has a test of its own that expects it to fire.
        var rules = Regex.Matches(File.ReadAllText(Path.Combine(directory, "processmaster-rules.yml")), @"- alert: (\w+)").Select(m => m.Groups[1].Value);
        var tests = File.ReadAllText(Path.Combine(directory, "processmaster-rules.test.yml"));
        Assert.All(rules, rule => Assert.Matches($@"alertname: {rule}\n\s+exp_alerts:\n\s+- exp_labels", tests));
    }

    /// <summary>
    /// Debian's Prometheus scrapes a daemon whose metrics need a login (bind 0.0.0.0): the job with the
    /// console user's password gets the series with the right values, the job with a wrong one gets none.
    /// </summary>
    [SystemFact]
    public async Task RealPrometheus_ScrapesWithTheConsolesLogin_AndAWrongPasswordGetsNoData()
    {
        var port = FreePort.Next();
        var hash = WebConsoleSite.BCryptHash(WebConsoleSite.Password);
        await using var daemon = Daemon($"web_console:\n  auth:\n    basic:\n      users: [\"{WebConsoleSite.User}:{hash}\"]\n" +
                                        $"metrics:\n  enabled: true\n  bind: 0.0.0.0\n  port: {port}\n  allow_plaintext_remote: true\n");
        await daemon.StartAsync();
        await daemon.WaitForStateAsync("broken", "FAILED");
        using (var anonymous = new HttpClient())
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"http://127.0.0.1:{port}/metrics")).StatusCode);
        }

        var prometheusPort = FreePort.Next();
        var storage = Directory.CreateDirectory(Path.Combine(daemon.Directory, "prometheus")).FullName;
        var config = Path.Combine(storage, "prometheus.yml");
        File.WriteAllText(config, $$"""
            scrape_configs:
              # The first login costs a bcrypt check, slow on a busy machine; later ones hit the daemon's cache.
              - job_name: right
                scrape_interval: 5s
                scrape_timeout: 5s
                static_configs: [{targets: ["127.0.0.1:{{port}}"]}]
                basic_auth: {username: {{WebConsoleSite.User}}, password: {{WebConsoleSite.Password}}}
              # Seldom enough to stay under the login rate limit (5 failures a minute from one address,
              # which would block the right job too: it scrapes from the same address).
              - job_name: wrong
                scrape_interval: 20s
                static_configs: [{targets: ["127.0.0.1:{{port}}"]}]
                basic_auth: {username: {{WebConsoleSite.User}}, password: not-the-password}
            """);
        using var prometheus = Process.Start(new ProcessStartInfo("prometheus",
            [$"--config.file={config}", $"--storage.tsdb.path={Path.Combine(storage, "data")}", $"--web.listen-address=127.0.0.1:{prometheusPort}"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        prometheus.BeginErrorReadLine();
        prometheus.BeginOutputReadLine();
        try
        {
            using var api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{prometheusPort}/") };
            Assert.Equal("1", await ValueWhenPresentAsync(api, "processmaster_service_up{job=\"right\",service=\"web\"}"));
            Assert.Equal("1", await ValueWhenPresentAsync(api, "processmaster_service_state{job=\"right\",service=\"broken\",state=\"FAILED\"}"));
            Assert.Equal("3", await ValueWhenPresentAsync(api, "processmaster_service_last_exit_code{job=\"right\",service=\"broken\"}"));
            Assert.Equal("0", await ValueWhenPresentAsync(api, "up{job=\"wrong\"}"));
            Assert.Null(await QueryAsync(api, "count({job=\"wrong\",__name__=~\"processmaster_.*\"})"));
        }
        finally
        {
            prometheus.Kill();
            await prometheus.WaitForExitAsync();
        }
    }

    /// <summary>The value of an instant query once it has one (the jobs scrape every 5 and 20 s).</summary>
    private static async Task<string> ValueWhenPresentAsync(HttpClient api, string query)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (await QueryAsync(api, query) is { } value)
            {
                return value;
            }

            await Task.Delay(500);
        }

        throw new TimeoutException($"Prometheus never had {query}");
    }

    private static async Task<string?> QueryAsync(HttpClient api, string query)
    {
        try
        {
            using var document = JsonDocument.Parse(await api.GetStringAsync($"api/v1/query?query={Uri.EscapeDataString(query)}"));
            var result = document.RootElement.GetProperty("data").GetProperty("result");
            return result.GetArrayLength() == 0 ? null : result[0].GetProperty("value")[1].GetString();
        }
        catch (HttpRequestException)
        {
            return null; // not listening yet
        }
    }
}
