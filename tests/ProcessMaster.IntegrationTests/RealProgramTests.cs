using ProcessMaster.IntegrationTests.Support;

namespace ProcessMaster.IntegrationTests;

/// <summary>Real servers run as they are packaged, by their absolute paths, with nothing wrapped around them.</summary>
public class RealProgramTests
{
    [SystemFact]
    public async Task PostgreSql_RunsDirectlyAsItsUser_AnswersQueries_AndAFastShutdownOnSigintLeavesNothing()
    {
        var bin = Directory.GetDirectories("/usr/lib/postgresql").Select(v => Path.Combine(v, "bin")).FirstOrDefault(d => File.Exists(Path.Combine(d, "postgres")));
        Assert.True(bin is not null, "PostgreSQL is needed (./test.sh installs postgresql)");
        await using var daemon = new TestDaemon();
        var wd = daemon.WorkDir("pg");
        Assert.Equal(0, (await Run.ProgramAsync("chown", ["postgres:postgres", wd])).ExitCode);
        var data = Path.Combine(wd, "data");
        var init = await Run.ProgramAsync("runuser", ["-u", "postgres", "--", Path.Combine(bin, "initdb"), "-D", data, "-A", "trust", "-U", "postgres"],
            TimeSpan.FromMinutes(2));
        Assert.True(init.ExitCode == 0, init.Output);
        var port = FreePort.Next();
        daemon.AddService("pg", $$"""
            process:
              working_directory: {wd}
              start_command: ["{{bin}}/postgres", "-D", "{{data}}", "-p", "{{port}}", "-k", "{{wd}}", "-c", "listen_addresses=127.0.0.1"]
              user: postgres
              stop_signal: SIGINT
              stop_grace_period_ms: 30000
            readiness_probe:
              exec: {command: ["{{bin}}/pg_isready", "-q", "-h", "127.0.0.1", "-p", "{{port}}"]}
              period: 300ms
              timeout: 300ms
            """);
        await daemon.StartAsync();

        var status = await Eventually.ValueAsync(() => daemon.StatusAsync("pg"), s => s.Health == "healthy" || s.Restarts > 0, TimeSpan.FromSeconds(60), "postgres to be ready");
        Assert.True(status is { State: "RUNNING", Restarts: 0 }, File.ReadAllText(Path.Combine(wd, "logs", "stderr.log")));
        var query = await Run.ProgramAsync("runuser", ["-u", "postgres", "--", Path.Combine(bin, "psql"), "-h", "127.0.0.1", "-p", $"{port}", "-U", "postgres", "-Atc", "select 40 + 2"]);
        Assert.True(query.ExitCode == 0, query.Output);
        Assert.Equal("42", query.Stdout.Trim());

        // The postmaster and its workers (checkpointer, background writer, walwriter, ...) are all in the cgroup.
        // A readiness check under way (pg_isready) is the daemon's child in its own leaf, not one of postgres' processes.
        var pids = daemon.Cgroups.ServicePids("pg");
        Assert.True(pids.Count >= 4, $"only {pids.Count} processes: {string.Join(", ", pids.Select(ProcessTable.CommandLine))}");
        // A backend of the psql session above may end between the two reads: only processes still there count.
        Assert.All(pids.Where(p => p != status.MainPid).Select(ProcessTable.Parent).OfType<int>(), parent => Assert.Equal(status.MainPid, parent));
        Assert.Contains(pids, p => ProcessTable.CommandLine(p).Contains("checkpointer", StringComparison.Ordinal));

        await daemon.PmctlOkAsync("stop", "pg");
        Assert.Empty(daemon.Cgroups.Pids("pg"));
        var log = File.ReadAllText(Path.Combine(wd, "logs", "stderr.log"));
        Assert.Contains("received fast shutdown request", log);
        Assert.Contains("database system is shut down", log);
        Assert.DoesNotContain("could not locate my own executable path", log);
        Assert.DoesNotContain((await daemon.EventsAsync("pg")).OfKind("stop_progress"), e => e.Field("step") == "grace_expired");
    }
}
