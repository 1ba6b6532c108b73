using ProcessMaster.Core.Configuration;

namespace ProcessMaster.Tests.Configuration;

/// <summary>depends_on, readiness_probe and liveness_probe as files say them, and what the whole catalog shows wrong.</summary>
public class DependencyConfigurationTests
{
    private static ServiceDefinition Valid(string yaml, string name = "web")
    {
        var (definition, errors) = ServiceDefinitionParserTests.Parse(yaml, name);
        Assert.Empty(errors);
        return definition!;
    }

    private static ConfigError SingleError(string yaml)
    {
        var (definition, errors) = ServiceDefinitionParserTests.Parse(yaml);
        Assert.Null(definition);
        return Assert.Single(errors);
    }

    private const string Process = "process:\n  working_directory: /srv/web\n";

    [Fact]
    public void DependsOn_AsAList_MeansStarted_AndAsAMapping_TakesConditionTimeoutAndRestart()
    {
        var listed = Valid(Process + "depends_on: [db, cache]\n");
        Assert.Equal([new Dependency("db", DependencyCondition.Started, null, false), new Dependency("cache", DependencyCondition.Started, null, false)], listed.DependsOn);

        var mapped = Valid(Process + "depends_on:\n  db: {condition: healthy, timeout: 1m, restart: true}\n  migrate: {condition: completed_successfully}\n  cache:\n");
        Assert.Equal([
            new Dependency("db", DependencyCondition.Healthy, TimeSpan.FromMinutes(1), true),
            new Dependency("migrate", DependencyCondition.CompletedSuccessfully, null, false),
            new Dependency("cache", DependencyCondition.Started, null, false),
        ], mapped.DependsOn);
        Assert.Equal((5, 3, "depends_on.migrate"), (mapped.DependsOn[1].At.Line, mapped.DependsOn[1].At.Column, mapped.DependsOn[1].At.Key));
    }

    [Fact]
    public void WhereADependencyIsWritten_IsNoPartOfTheDefinition() =>
        Assert.Equal(Valid(Process + "depends_on: [db]\n"), Valid(Process + "\n\ndepends_on:\n  - db\n"));

    [Theory]
    [InlineData("depends_on:\n  db: {condition: ready}\n", "depends_on.db.condition", "'ready' is not a condition; use started, healthy or completed_successfully")]
    [InlineData("depends_on:\n  db: {conditon: healthy}\n", "depends_on.db.conditon", "unknown key; did you mean 'condition'?")]
    [InlineData("depends_on:\n  db: {timeout: 0s}\n", "depends_on.db.timeout", "must be longer than zero")]
    [InlineData("depends_on: [db, db]\n", "depends_on[1]", "'db' is listed twice")]
    [InlineData("depends_on: [\"no/slash\"]\n", "depends_on[0]", "")]
    [InlineData("readiness_probe: {period: 5s}\n", "readiness_probe", "needs one check: exec, http, tcp or notify")]
    [InlineData("readiness_probe: {tcp: {port: 1}, http: {url: \"http://x/\"}}\n", "readiness_probe", "set exactly one check, not http and tcp")]
    [InlineData("liveness_probe: {notify: {}}\n", "liveness_probe.notify", "only a readiness_probe can be notify")]
    [InlineData("readiness_probe: {tcp: {port: 70000}}\n", "readiness_probe.tcp.port", "must be between 1 and 65535")]
    [InlineData("readiness_probe: {tcp: {port: 5432}, period: 1s, timeout: 2s}\n", "readiness_probe.timeout", "at most the period (1s)")]
    [InlineData("readiness_probe: {http: {url: \"ftp://x/\"}}\n", "readiness_probe.http.url", "is not an http:// or https:// URL")]
    [InlineData("readiness_probe: {http: {url: \"http://x/\", status: 200-99}}\n", "readiness_probe.http.status", "is not a status or range")]
    [InlineData("readiness_probe: {exec: {command: []}}\n", "readiness_probe.exec", "needs command")]
    [InlineData("readiness_probe: {notify: {}, period: 1s}\n", "readiness_probe.period", "does not apply to notify")]
    [InlineData("liveness_probe: {tcp: {port: 1}, success_threshold: 2}\n", "liveness_probe.success_threshold", "must be 1 for a liveness probe")]
    [InlineData("readiness_probe: {notify: {watchdog: 5s}}\n", "readiness_probe.notify.watchdog", "unknown key; valid keys here: watchdog_sec")]
    [InlineData("readiness_probe: {notify: {watchdog_sec: 1ms}}\n", "readiness_probe.notify.watchdog_sec", "must be at least 10ms")]
    public void ABadEntry_IsReportedAtItsKey(string yaml, string key, string message)
    {
        var error = SingleError(Process + yaml);
        Assert.Equal(key, error.Key);
        Assert.Contains(message, error.Message);
        Assert.True(error.Line > 2, $"line {error.Line}");
    }

    [Fact]
    public void ACronJob_HasNeitherDependenciesNorProbes()
    {
        var (_, errors) = ServiceDefinitionParserTests.Parse(Process + "  schedule: \"@daily\"\ndepends_on: [db]\nreadiness_probe: {tcp: {port: 1}}\n");
        Assert.Equal(["depends_on", "readiness_probe"], errors.Select(e => e.Key));
    }

    [Fact]
    public void Probes_TakeEveryCheckWithKubernetesDefaults()
    {
        var d = Valid(Process + """
            readiness_probe:
              http: {url: "https://127.0.0.1:8443/health", status: 200-204, host: example.org, verify_tls: false}
              initial_delay: 2s
            liveness_probe:
              exec: {command: [pg_isready, -q]}
              period: 30s
              timeout: 5s
              failure_threshold: 5
            """);
        Assert.Equal(new HttpProbe(new Uri("https://127.0.0.1:8443/health"), 200, 204, "example.org", false), d.Readiness!.Http);
        Assert.Equal((TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1), 1, 3),
            (d.Readiness.InitialDelay, d.Readiness.Period, d.Readiness.Timeout, d.Readiness.SuccessThreshold, d.Readiness.FailureThreshold));
        Assert.Equal(["pg_isready", "-q"], d.Liveness!.Exec!.Command);
        Assert.Equal((TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5), 5), (d.Liveness.Period, d.Liveness.Timeout, d.Liveness.FailureThreshold));

        var notify = Valid(Process + "readiness_probe:\n  notify: {watchdog_sec: 30}\n");
        Assert.Equal(new NotifyProbe(TimeSpan.FromSeconds(30)), notify.Readiness!.Notify);
        Assert.True(notify.Notifies);
        Assert.Equal(TimeSpan.FromMilliseconds(2500), Valid(Process + "readiness_probe: {notify: {watchdog_sec: 2.5}}\n").Readiness!.Notify!.Watchdog);
        Assert.Equal(TimeSpan.FromMilliseconds(500), Valid(Process + "readiness_probe: {notify: {watchdog_sec: 500ms}}\n").Readiness!.Notify!.Watchdog);
        Assert.Equal(new TcpProbe("127.0.0.1", 6379), Valid(Process + "readiness_probe: {tcp: {port: 6379}}\n").Readiness!.Tcp);
    }

    private static List<ServiceDefinition> Catalog(params (string Name, string Yaml)[] files) =>
        [.. files.Select(f => Valid($"process:\n  working_directory: /srv/{f.Name}\n{f.Yaml}", f.Name))];

    [Fact]
    public void AnUnknownDependency_IsReportedAtItsEntry_WithASuggestion()
    {
        var services = Catalog(("db", ""), ("web", "depends_on:\n  dbb: {condition: started}\n"));
        var error = Assert.Single(DependencyCheck.Problems(services, new HashSet<string>())["web"]);
        Assert.Equal("/srv/config.d/web.yaml:4:3: depends_on.dbb: unknown service 'dbb'; did you mean 'db'?", error.ToString());
    }

    [Fact]
    public void ACycle_IsPrintedOnce_NoneOfItsServicesLoads_AndTheRestDoes()
    {
        var services = Catalog(("web", "depends_on: [api]\n"), ("api", "depends_on: [auth]\n"), ("auth", "depends_on: [web]\n"), ("front", "depends_on: [web]\n"));
        var problems = DependencyCheck.Problems(services, new HashSet<string>());
        Assert.Equal(["api", "auth", "web"], problems.Keys.Order());
        Assert.Equal("/srv/config.d/web.yaml:3:14: depends_on[0]: dependency cycle: web -> api -> auth -> web; none of them is loaded",
            Assert.Single(problems.Values.SelectMany(p => p)).ToString());
    }

    [Fact]
    public void TwoCirclesSharingAService_AreOneProblem_WithTheShortestCycleThroughTheFirst()
    {
        var services = Catalog(("a", "depends_on: [b, c]\n"), ("b", "depends_on: [a]\n"), ("c", "depends_on: [d]\n"), ("d", "depends_on: [a]\n"), ("e", "depends_on: [e]\n"));
        var problems = DependencyCheck.Problems(services, new HashSet<string>());
        Assert.Equal(["a", "b", "c", "d", "e"], problems.Keys.Order());
        Assert.Contains("dependency cycle: a -> b -> a; 4 services depend on each other in a circle; none of them is loaded", Assert.Single(problems["a"]).Message);
        Assert.Contains("cannot depend on itself", Assert.Single(problems["e"]).Message);
        Assert.Empty(problems["c"]);
    }

    [Fact]
    public void ACycleOfTenThousandServices_IsOneShortLine()
    {
        var services = Enumerable.Range(0, 10_000).Select(i => Valid($"process:\n  working_directory: /srv/s{i}\ndepends_on: [s{(i + 1) % 10_000}]\n", $"s{i}")).ToList();
        var problems = DependencyCheck.Problems(services, new HashSet<string>());
        var message = Assert.Single(problems.Values.SelectMany(p => p)).Message;
        Assert.Equal(10_000, problems.Count);
        Assert.Equal("dependency cycle: s0 -> s1 -> s2 -> s3 -> s4 -> ... (9993 more) -> s9998 -> s9999 -> s0; none of them is loaded", message);
    }

    [Fact]
    public void TheConditionMustSuitTheDependency()
    {
        var services = Catalog(
            ("backup", "  schedule: \"@daily\"\n"),
            ("db", ""),
            ("migrate", "restart_policy: {policy: never}\n"),
            ("web", "depends_on:\n  backup: {}\n  db: {condition: healthy}\n  migrate: {condition: completed_successfully}\n  web: {}\n"),
            ("worker", "depends_on:\n  db: {condition: completed_successfully}\n  gone: {}\n"));
        var problems = DependencyCheck.Problems(services, new HashSet<string> { "gone" });
        Assert.Collection(problems["web"],
            e => Assert.Contains("'backup' is a cron job", e.Message),
            e => Assert.Contains("'db' has no readiness_probe", e.Message),
            e => Assert.Contains("cannot depend on itself", e.Message));
        Assert.Contains("'db' is restarted whenever it ends", Assert.Single(problems["worker"]).Message); // 'gone' failed to load: waited for, no error
    }
}
