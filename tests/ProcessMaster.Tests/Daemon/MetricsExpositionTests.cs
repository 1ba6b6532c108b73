using System.Net;
using System.Text;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Daemon.Metrics;

namespace ProcessMaster.Tests.Daemon;

/// <summary>The exposition formats, the request head parser and who may scrape.</summary>
public class MetricsExpositionTests
{
    private static string Write(bool openMetrics)
    {
        using var w = new ExpositionWriter(openMetrics);
        w.Family("pm_restarts_total", "counter", "Restarts.");
        w.Sample("pm_restarts_total", 3, ("service", "web"));
        w.Family("pm_memory_bytes", "gauge", "Memory.");
        w.Sample("pm_memory_bytes", 1.5e9, ("service", "a\"b\\c\nd"));
        w.Sample("pm_memory_bytes", double.PositiveInfinity);
        // Past the pooled buffer's first size, so growing keeps what was written.
        w.Family("pm_padding", "gauge", new string('x', 70_000));
        var text = Encoding.UTF8.GetString(w.Finish().Span);
        return text.Replace($"# HELP pm_padding {new string('x', 70_000)}\n# TYPE pm_padding gauge\n", "");
    }

    [Fact]
    public void PrometheusText_TypesCountersByTheirFullName_AndEscapesLabelValues()
    {
        Assert.Equal("""
            # HELP pm_restarts_total Restarts.
            # TYPE pm_restarts_total counter
            pm_restarts_total{service="web"} 3
            # HELP pm_memory_bytes Memory.
            # TYPE pm_memory_bytes gauge
            pm_memory_bytes{service="a\"b\\c\nd"} 1500000000
            pm_memory_bytes +Inf

            """.Replace("\r\n", "\n"), Write(openMetrics: false));
    }

    [Fact]
    public void OpenMetrics_TypesCountersWithoutTotal_AndEnds()
    {
        var text = Write(openMetrics: true);
        Assert.StartsWith("# HELP pm_restarts Restarts.\n# TYPE pm_restarts counter\npm_restarts_total{service=\"web\"} 3\n", text);
        Assert.EndsWith("pm_memory_bytes +Inf\n# EOF\n", text);
        Assert.Contains("pm_memory_bytes{service=\"a\\\"b\\\\c\\nd\"} 1500000000\n", text);
    }

    private static readonly TlsSettings NoTls = new(false, null, null, null, null, false);

    private static WebConsoleSettings Console(bool generatedPassword) =>
        new(false, IPAddress.Loopback, 9001, false, NoTls, generatedPassword ? EquatableArray<string>.Empty : new(["ops:$2b$..."]), generatedPassword);

    [Fact]
    public void OffLoopback_AScraperMustLogIn_OverTlsUnlessPlainHttpIsAllowed()
    {
        var loopback = new MetricsSettings(true, IPAddress.Loopback, 9109, false, NoTls);
        Assert.Null(MetricsServer.RefusalReason(loopback, Console(generatedPassword: true)));

        var remote = loopback with { Bind = IPAddress.Any };
        Assert.Contains("names nobody", MetricsServer.RefusalReason(remote, Console(generatedPassword: true)));
        Assert.Contains("plain HTTP on 0.0.0.0", MetricsServer.RefusalReason(remote, Console(generatedPassword: false)));
        Assert.Null(MetricsServer.RefusalReason(remote with { AllowPlaintextRemote = true }, Console(generatedPassword: false)));
        Assert.Null(MetricsServer.RefusalReason(remote with { Tls = NoTls with { Enabled = true } }, Console(generatedPassword: false)));
        // A client certificate stands for a login.
        Assert.Null(MetricsServer.RefusalReason(remote with { Tls = NoTls with { Enabled = true, Mtls = true, CaPem = "/ca.pem" } }, Console(generatedPassword: true)));
    }
}
