using System.Globalization;
using ProcessMaster.IntegrationTests.Support;

namespace ProcessMaster.IntegrationTests;

/// <summary>
/// Start order with real processes: db (ready once its port opens, two seconds after it starts) -> migrate
/// (one-shot) -> web -> worker. Each process writes when it started; the order is read from those files.
/// </summary>
public class DependencyTests
{
    /// <summary>A shell that writes the time (seconds since the epoch) to <paramref name="file"/>, then runs <paramref name="then"/>.</summary>
    private static string Stamp(string file, string then) => $"date +%s.%N > {file}; {then}";

    private static double Read(TestDaemon daemon, string service, string file) =>
        double.Parse(File.ReadAllText(Path.Combine(daemon.WorkDir(service), file)).Trim(), CultureInfo.InvariantCulture);

    private static TestDaemon Chain(out int port)
    {
        port = FreePort.Next();
        var daemon = new TestDaemon();
        daemon.AddService("db", $$"""
            process:
              working_directory: {wd}
              start_command: ["python3", "-c", "import socket, time\ntime.sleep(2)\ns = socket.socket()\ns.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\ns.bind(('127.0.0.1', {{port}}))\ns.listen()\nopen('opened', 'w').write(repr(time.time()))\ntime.sleep(100000)"]
            readiness_probe:
              tcp: {port: {{port}}}
              period: 200ms
              timeout: 200ms
            """);
        daemon.AddService("migrate", """
            process:
              working_directory: {wd}
              start_command: ["/bin/sh", "-c", "date +%s.%N >> ran; sleep 0.3; date +%s.%N > done"]
            restart_policy: {policy: never}
            depends_on:
              db: {condition: healthy}
            """);
        daemon.AddService("web", $"""
            process:
              working_directory: {"{wd}"}
              start_command: ["/bin/sh", "-c", "{Stamp("started", "exec sleep 100000")}"]
            depends_on:
              db: {"{condition: healthy}"}
              migrate: {"{condition: completed_successfully}"}
            """);
        daemon.AddService("worker", $"""
            process:
              working_directory: {"{wd}"}
              start_command: ["/bin/sh", "-c", "{Stamp("started", "exec sleep 100000")}"]
            depends_on: [web]
            """);
        return daemon;
    }

    [SystemFact]
    public async Task TheChain_StartsInOrder_StopsDependentsFirst_AndNoDepsTouchesOnlyTheOne()
    {
        await using var daemon = Chain(out _);
        await daemon.StartAsync();
        var waiting = await daemon.StatusAsync("web");
        Assert.Equal("WAITING", waiting.State);
        Assert.Contains("db (healthy)", waiting.WaitingFor);
        Assert.Contains("waiting for db (healthy)", await daemon.PmctlOkAsync("status"));

        await daemon.WaitForStateAsync("worker", "RUNNING", TimeSpan.FromSeconds(60));
        var opened = Read(daemon, "db", "opened");
        var migrated = Read(daemon, "migrate", "done");
        Assert.True(Read(daemon, "migrate", "ran") >= opened, "migrate started before db was ready");
        Assert.True(Read(daemon, "web", "started") >= migrated, "web started before migrate exited 0");
        // depends_on [web] waits for web to be RUNNING (its command executed), not for what web's shell does
        // next: worker's first line is compared with the moment web became RUNNING.
        var webRunning = (await daemon.StatusAsync("web")).StateSince!.Value.ToUnixTimeMilliseconds() / 1000.0;
        Assert.True(Read(daemon, "worker", "started") >= webRunning, "worker started before web was RUNNING");
        Assert.Equal("healthy", (await daemon.StatusAsync("db")).Health);
        Assert.Equal("EXITED", (await daemon.StatusAsync("migrate")).State);

        var stop = await daemon.PmctlOkAsync("stop", "db");
        Assert.Contains("web: stopped (depends on db)", stop);
        Assert.Contains("worker: stopped (depends on db)", stop);
        var stopped = (await daemon.EventsAsync()).OfKind("state_changed")
            .Where(e => e.Field("to") == "STOPPED" && e.Field("cause.kind") == "operator" && e.Field("cause.by") == "root via pmctl").Select(e => e.App).ToList();
        Assert.Equal(["worker", "web", "db"], stopped);

        // Starting worker brings up what it needs; migrate has completed and is not run again.
        var start = await daemon.PmctlOkAsync("start", "worker");
        Assert.Contains("db: started", start);
        Assert.Contains("(needed by worker)", start);
        Assert.Equal("RUNNING", (await daemon.StatusAsync("web")).State);
        Assert.Single(File.ReadAllLines(Path.Combine(daemon.WorkDir("migrate"), "ran")));

        var alone = await daemon.PmctlOkAsync("stop", "db", "--no-deps");
        Assert.DoesNotContain("web", alone);
        Assert.Equal("RUNNING", (await daemon.StatusAsync("web")).State);
        Assert.Equal("STOPPED", (await daemon.StatusAsync("db")).State);
    }

    [SystemFact]
    public async Task ADependencyRestartedByItsPolicy_RestartsTheDependentsOfARestartEdge_OnceHealthyAgain()
    {
        await using var daemon = Chain(out _);
        File.WriteAllText(Path.Combine(daemon.ConfigDirectory, "web.yaml"),
            File.ReadAllText(Path.Combine(daemon.ConfigDirectory, "web.yaml")).Replace("db: {condition: healthy}", "db: {condition: healthy, restart: true}"));
        await daemon.StartAsync();
        var worker = await daemon.WaitForStateAsync("worker", "RUNNING", TimeSpan.FromSeconds(60));
        var web = await daemon.StatusAsync("web");
        var db = await daemon.StatusAsync("db");

        ProcessMaster.Core.Interop.Libc.Kill(db.MainPid!.Value, 9); // a crash: db's policy restarts it
        var restarted = await Eventually.ValueAsync(() => daemon.StatusAsync("web"), s => s.State == "RUNNING" && s.MainPid != web.MainPid,
            TimeSpan.FromSeconds(60), "web to be restarted after db");
        Assert.Equal(1, (await daemon.StatusAsync("db")).Restarts);
        Assert.True(Read(daemon, "web", "started") >= Read(daemon, "db", "opened"), "web restarted before db was healthy again");
        var webEvents = await daemon.EventsAsync("web");
        Assert.Contains(webEvents.OfKind("dependency_restarted"), e => (e.Field("dependency"), e.Field("condition")) == ("db", "healthy"));
        Assert.Contains(webEvents.Transitions(), t => t == ("RUNNING", "STOPPING", "dependency"));
        Assert.Equal(worker.MainPid, (await daemon.StatusAsync("worker")).MainPid); // no restart edge: untouched
        Assert.Equal(0, restarted.Restarts); // a restart for a dependency is no crash
    }

    [SystemFact]
    public async Task ACycleAndAnUnknownDependency_AreReportedByCheckConfig_WithFileLineAndColumn()
    {
        await using var daemon = new TestDaemon();
        var a = daemon.AddService("a", "process:\n  working_directory: {wd}\ndepends_on: [b]\n");
        daemon.AddService("b", "process:\n  working_directory: {wd}\ndepends_on: [a]\n");
        daemon.AddService("db", "process:\n  working_directory: {wd}\n");
        var c = daemon.AddService("c", "process:\n  working_directory: {wd}\ndepends_on:\n  dbb: {condition: started}\n");

        var result = await Run.ProgramAsync(Dist.Daemon, ["--check-config", "-c", daemon.ConfigPath]);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"{a}:3:14: depends_on[0]: dependency cycle: a -> b -> a", result.Stdout);
        Assert.Contains($"{c}:4:3: depends_on.dbb: unknown service 'dbb'; did you mean 'db'?", result.Stdout);
    }
}
