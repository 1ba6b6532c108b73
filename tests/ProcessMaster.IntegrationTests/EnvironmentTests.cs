using ProcessMaster.IntegrationTests.Support;

namespace ProcessMaster.IntegrationTests;

/// <summary>environment_file, ${NAME} in commands and values, and command lines as strings, seen from inside the service.</summary>
public class EnvironmentTests
{
    [SystemFact]
    public async Task AnEnvironmentFile_AndReferences_ReachTheProcess_AsConfigured()
    {
        await using var daemon = new TestDaemon();
        var wd = daemon.WorkDir("app");
        File.WriteAllText(Path.Combine(wd, "app.env"), "# database\nexport DB_HOST=db.local\nGREETING=\"hello world\"\nSECRET='a ${b} $c'\n");
        daemon.AddService("app", """
            process:
              working_directory: {wd}
              environment_file: [app.env, {path: ./absent.env, optional: true}]
              environment:
                - {name: URL, value: "postgres://${DB_HOST}/x"}
                - {name: LITERAL, value: "$${URL}"}
              start_command: "/bin/sh -c 'printf \"%s|%s|%s|%s|%s\" \"$URL\" \"$1\" \"$SECRET\" \"$LITERAL\" \"$2\" > out; exec sleep 1000' sh ${GREETING} ${PORT:-8080}"
            """);
        await daemon.StartAsync();
        await daemon.WaitForStateAsync("app", "RUNNING");
        await Eventually.TrueAsync(() => File.Exists(Path.Combine(wd, "out")) && File.ReadAllText(Path.Combine(wd, "out")).Length > 0, TimeSpan.FromSeconds(10), "the service's output");
        Assert.Equal("postgres://db.local/x|hello world|a ${b} $c|${URL}|8080", File.ReadAllText(Path.Combine(wd, "out")));

        // Read at each start: a changed file is what the next start gets.
        File.WriteAllText(Path.Combine(wd, "app.env"), "DB_HOST=db2\nGREETING=hi\n");
        File.Delete(Path.Combine(wd, "out"));
        await daemon.PmctlOkAsync("restart", "app");
        await Eventually.TrueAsync(() => File.Exists(Path.Combine(wd, "out")) && File.ReadAllText(Path.Combine(wd, "out")).Length > 0, TimeSpan.FromSeconds(10), "the restarted service's output");
        Assert.StartsWith("postgres://db2/x|hi|", File.ReadAllText(Path.Combine(wd, "out")));
    }

    [SystemFact]
    public async Task EnvironmentFilesTheServiceCouldHaveSwapped_AreRefused_WithoutHoldingTheDaemon()
    {
        await using var daemon = new TestDaemon();
        var secret = Path.Combine(daemon.Directory, "root-secret.env");
        File.WriteAllText(secret, "ROOT_TOKEN=do-not-leak\n");
        foreach (var (name, plant) in new (string, string)[]
        {
            ("linked", $"ln -s {secret} svc.env"),
            ("fifo", "mkfifo svc.env"),
            ("foreign", "echo A=1 > svc.env; chown 65534 svc.env"),
            ("huge", "head -c 300000 /dev/zero | tr '\\0' x | sed 's/^/A=/' > svc.env"),
            ("missing", "true"),
            ("malformed", "printf 'A=1\\nthis is not a variable\\n' > svc.env"),
        })
        {
            Assert.Equal(0, (await Run.ShellAsync($"cd {daemon.WorkDir(name)} && {plant}")).ExitCode);
            daemon.AddService(name, """
                process:
                  working_directory: {wd}
                  environment_file: [svc.env]
                  start_command: ["/bin/sh", "-c", "env > out; exec sleep 1000"]
                restart_policy: {policy: never}
                """);
        }

        await daemon.StartAsync();
        var reasons = new Dictionary<string, string>();
        foreach (var name in new[] { "linked", "fifo", "foreign", "huge", "missing", "malformed" })
        {
            var failed = await daemon.WaitForStateAsync(name, "FAILED");
            Assert.Contains(Path.Combine(daemon.WorkDir(name), "svc.env"), failed.LastError); // the path, in what status shows
            Assert.False(File.Exists(Path.Combine(daemon.WorkDir(name), "out")), $"{name} ran");
            reasons[name] = failed.LastError!;
        }

        Assert.Contains("symbolic link", reasons["linked"]);
        Assert.Contains("FIFO", reasons["fifo"]);
        Assert.Contains("owned by uid 65534", reasons["foreign"]);
        Assert.Contains("larger than", reasons["huge"]);
        Assert.Contains("line 2", reasons["malformed"]);
        Assert.Contains("No such file", reasons["missing"], StringComparison.OrdinalIgnoreCase);
        Assert.Contains("fifo failed:", await daemon.PmctlOkAsync("status")); // answered: nothing blocked on the FIFO
    }

    [SystemFact]
    public async Task AnUnknownNameInACommand_IsRefusedAtItsLineAndColumn_AndTheRunningServiceKeepsRunning()
    {
        await using var daemon = new TestDaemon();
        var file = daemon.AddShellService("web", "exec sleep 1000");
        await daemon.StartAsync();
        var pid = (await daemon.WaitForStateAsync("web", "RUNNING")).MainPid;

        File.WriteAllText(file, $$"""
            process:
              working_directory: {{daemon.WorkDir("web")}}
              start_command: "/bin/sleep ${DURATION}"
            """);
        var check = await daemon.PmctlAsync("update"); // the file is not loaded; the service keeps its last good definition
        Assert.Equal(1, check.ExitCode);
        Assert.Contains($"{file}:3:", check.Stdout + check.Stderr);
        Assert.Contains("${DURATION} is not set", check.Stdout + check.Stderr);
        var status = await daemon.StatusAsync("web");
        Assert.Equal(("RUNNING", pid), (status.State, status.MainPid));
    }
}
