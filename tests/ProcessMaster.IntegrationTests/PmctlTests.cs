using System.Diagnostics;
using System.Text.Json;
using ProcessMaster.IntegrationTests.Support;
using ProcessMaster.Protocol;

namespace ProcessMaster.IntegrationTests;

/// <summary>Every pmctl command against the real daemon: output and exit codes.</summary>
public class PmctlTests
{
    [SystemFact]
    public async Task Status_Text_IsAnAlignedTableUnder80Columns_WithOnePidPerLine()
    {
        await using var daemon = new TestDaemon();
        daemon.AddShellService("web", "sleep 1000 & exec sleep 1001");
        daemon.AddShellService("worker", "exec sleep 1000");
        daemon.AddService("nightly", "process:\n  working_directory: {wd}\n  start_command: [\"/bin/true\"]\n  schedule: \"*/5 * * * *\"\n");
        await daemon.StartAsync();
        await Eventually.ValueAsync(() => daemon.StatusAsync("web"), s => s.Pids.Count == 2, TimeSpan.FromSeconds(5), "two pids");

        var lines = (await daemon.PmctlOkAsync("status")).TrimEnd('\n').Split('\n');
        Assert.Matches(@"^NAME\s+STATE\s+PID\s+UPTIME\s+RESTARTS\s+CPU%\s+MEM\s+ENABLED\s+LAST$", lines[0]);
        Assert.All(lines, l => Assert.True(l.Length <= 80, $"line longer than 80 columns: '{l}'"));
        Assert.Matches(@"^nightly\s+STOPPED\s+-\s+-\s+0\s+-\s+-\s+yes\s+next \d\d:\d[05]:00$", lines[1]);
        Assert.Matches(@"^web\s+RUNNING\s+\d+\s+\d+s\s+0\s+[\d.]+\s+[\d.]+[BKMG]\s+yes\s+-$", lines[2]);
        Assert.Matches(@"^\s+\d+$", lines[3]); // the second pid of web
        Assert.StartsWith("worker", lines[4]);
        var stateColumn = lines[0].IndexOf("STATE", StringComparison.Ordinal);
        Assert.All(new[] { lines[1], lines[2], lines[4] }, l => Assert.Equal(' ', l[stateColumn - 1]));

        // No subcommand means status.
        Assert.Equal(string.Join('\n', lines.Select(l => l.Length > 20 ? l[..20] : l)),
            string.Join('\n', (await daemon.PmctlOkAsync()).TrimEnd('\n').Split('\n').Select(l => l.Length > 20 ? l[..20] : l)));
    }

    [SystemFact]
    public async Task Status_Json_HasEveryDocumentedField()
    {
        await using var daemon = new TestDaemon();
        daemon.AddService("web", "process:\n  working_directory: {wd}\n  start_command: [\"/bin/sleep\", \"1000\"]\nprovisioning:\n  - path: ./data\n");
        daemon.AddService("job", "process:\n  working_directory: {wd}\n  start_command: [\"/bin/true\"]\n  schedule: \"*/5 * * * *\"\n");
        await daemon.StartAsync();
        var json = JsonDocument.Parse(await daemon.PmctlOkAsync("status", "--format", "json")).RootElement;
        var services = json.GetProperty("services");
        var job = services[0];
        var web = services[1];
        foreach (var field in new[] { "name", "kind", "state", "enabled", "pids", "main_pid", "uptime_seconds", "restarts", "last_exit_code",
                     "last_run", "next_run", "schedule", "cgroup", "working_directory", "memory_bytes", "cpu_percent", "cpu_usage_usec",
                     "provisioning_defined", "provisioning_marker", "provisioning_marker_exists", "source_file", "state_since" })
        {
            Assert.True(web.TryGetProperty(field, out _), $"missing field {field}");
        }

        Assert.Equal("service", web.GetProperty("kind").GetString());
        Assert.Equal("RUNNING", web.GetProperty("state").GetString());
        Assert.Equal(web.GetProperty("pids")[0].GetInt32(), web.GetProperty("main_pid").GetInt32());
        Assert.Equal(daemon.Cgroups.ServiceGroup("web"), web.GetProperty("cgroup").GetString());
        Assert.True(web.GetProperty("provisioning_defined").GetBoolean());
        Assert.True(web.GetProperty("provisioning_marker_exists").GetBoolean());
        Assert.Equal("cron", job.GetProperty("kind").GetString());
        Assert.Equal("*/5 * * * *", job.GetProperty("schedule").GetString());
        Assert.Equal(JsonValueKind.String, job.GetProperty("next_run").ValueKind);
    }

    [SystemFact]
    public async Task StartStopRestart_OneOrAll_ReplyPerServiceAndSetTheExitCode()
    {
        await using var daemon = new TestDaemon();
        daemon.AddShellService("a", "exec sleep 1000");
        daemon.AddShellService("b", "exec sleep 1000");
        daemon.AddService("off", "process:\n  working_directory: {wd}\n  start_command: [\"/bin/sleep\", \"1000\"]\nglobal:\n  enabled: false\n");
        await daemon.StartAsync();

        Assert.Equal("a: stopped\nb: stopped\noff: already stopped\n", await daemon.PmctlOkAsync("stop", "all"));
        Assert.Empty(daemon.Cgroups.AllPids());
        var start = await daemon.PmctlOkAsync("start", "all");
        Assert.Matches(@"^a: started \(pid \d+\)\nb: started \(pid \d+\)\n$", start); // disabled services are skipped by "all"
        Assert.Matches(@"^a: started \(pid \d+\)\n$", await daemon.PmctlOkAsync("restart", "a"));
        Assert.Contains("already running", await daemon.PmctlOkAsync("start", "b"));

        var unknown = await daemon.PmctlAsync("stop", "ghost");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Equal("Error: unknown service: ghost\n", unknown.Stderr);
        var usage = await daemon.PmctlAsync("start");
        Assert.Equal(2, usage.ExitCode);
        Assert.Equal(2, (await daemon.PmctlAsync("status", "--format", "yaml")).ExitCode);
    }

    [SystemFact]
    public async Task Events_ShowHistory_FilteredAndLimited()
    {
        await using var daemon = new TestDaemon();
        daemon.AddShellService("a", "exec sleep 1000");
        daemon.AddShellService("b", "exec sleep 1000");
        await daemon.StartAsync();
        await daemon.PmctlOkAsync("restart", "a");
        var events = (await daemon.PmctlOkAsync("events", "a")).TrimEnd('\n').Split('\n');
        Assert.All(events, e => Assert.Matches(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \[\w+\] app=a ", e));
        Assert.Contains(events, e => e.EndsWith("[operator] app=a restart a by root via pmctl", StringComparison.Ordinal));
        Assert.Equal(2, (await daemon.PmctlOkAsync("events", "-n", "2")).TrimEnd('\n').Split('\n').Length);
        var json = JsonDocument.Parse(await daemon.PmctlOkAsync("events", "a", "-n", "3", "--format", "json")).RootElement;
        Assert.Equal(3, json.GetProperty("events").GetArrayLength());
    }

    [SystemFact]
    public async Task Logs_ShowTheLastLinesOfEachFile()
    {
        await using var daemon = new TestDaemon();
        daemon.AddShellService("talker", "for i in 1 2 3 4 5; do echo out$i; echo err$i >&2; done; echo hint > logs/app.log; exec sleep 1000",
            "logs:\n  hints: [\"./logs/app.log\", \"./logs/missing.log\"]");
        await daemon.StartAsync();
        var dir = daemon.WorkDir("talker");
        await Eventually.TrueAsync(() => File.Exists(Path.Combine(dir, "logs", "app.log")), TimeSpan.FromSeconds(5), "the hint file");
        var output = await daemon.PmctlOkAsync("logs", "talker", "-n", "2");
        Assert.Equal($"==> {dir}/logs/stdout.log <==\nout4\nout5\n\n==> {dir}/logs/stderr.log <==\nerr4\nerr5\n\n==> {dir}/logs/app.log <==\nhint\n\n", output);
        var usage = await daemon.PmctlAsync("logs");
        Assert.Equal(2, usage.ExitCode);
        Assert.Contains("pmctl logs -f", usage.Stderr);
    }

    [SystemFact]
    public async Task LogsFollow_StreamsNewLinesFilteredByFileName()
    {
        await using var daemon = new TestDaemon();
        daemon.AddShellService("ticker", "i=0; while :; do i=$((i+1)); echo line$i; echo noise >&2; sleep 0.2; done");
        await daemon.StartAsync();
        var info = new ProcessStartInfo(Dist.Pmctl) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-s", daemon.SocketPath, "logs", "-f", "stdout.log", "-n", "1" })
        {
            info.ArgumentList.Add(arg);
        }

        using var follow = Process.Start(info)!;
        try
        {
            var stdout = Path.Combine(daemon.WorkDir("ticker"), "logs", "stdout.log");
            Assert.Equal($"==> {stdout} <==", await follow.StandardOutput.ReadLineAsync());
            Assert.StartsWith("line", await follow.StandardOutput.ReadLineAsync());
            Assert.Equal("", await follow.StandardOutput.ReadLineAsync());
            for (var i = 0; i < 3; i++)
            {
                var line = await follow.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(5));
                Assert.Matches($"^{stdout}: line\\d+$", line);
            }
        }
        finally
        {
            follow.Kill();
        }
    }

    [SystemFact]
    public async Task Versions_PerfMetrics_AndConnectionErrors()
    {
        await using var daemon = new TestDaemon();
        daemon.AddShellService("web", "exec sleep 1000", "resources:\n  max_memory: 128MiB");
        await daemon.StartAsync();
        Assert.Equal(await daemon.PmctlOkAsync("version"), await daemon.PmctlOkAsync("server-version"));

        var metrics = await daemon.PmctlOkAsync("perf-metrics", "web", "--interval-ms", "200");
        Assert.Contains("app:     web", metrics);
        Assert.Contains($"cgroup:  {daemon.Cgroups.ServiceGroup("web")}", metrics);
        Assert.Contains("of 128.0 MiB", metrics);
        Assert.Contains("cpu.stat usage_usec", metrics);
        Assert.Contains("cpu.util:", metrics);

        var missing = await Run.ProgramAsync(Dist.Pmctl, ["-s", "/nonexistent/pm.sock", "status"]);
        Assert.Equal(1, missing.ExitCode);
        Assert.StartsWith("pmctl: no daemon is listening at /nonexistent/pm.sock (no such file)\n", missing.Stderr);
        Assert.Contains("-s PATH or PMCTL_SOCK=PATH", missing.Stderr);
        // A socket left behind by a daemon that was killed: there, but nobody accepts.
        var stale = Path.Combine(daemon.Directory, "stale.sock");
        using var orphan = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        orphan.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(stale)); // bound, never listening (.NET removes the file when it is closed)
        var refused = await Run.ProgramAsync(Dist.Pmctl, ["-s", stale, "status"]);
        Assert.Equal(1, refused.ExitCode);
        Assert.StartsWith($"pmctl: no daemon is listening at {stale} (the socket file is there, but nothing accepts on it", refused.Stderr);
        var fromEnvironment = await Run.ProgramAsync(Dist.Pmctl, ["status"], environment: new Dictionary<string, string> { ["PMCTL_SOCK"] = daemon.SocketPath });
        Assert.Equal(0, fromEnvironment.ExitCode);
    }

    [SystemFact]
    public async Task EnableDisable_EditTheFileKeepingComments_AndReconcile()
    {
        await using var daemon = new TestDaemon();
        var file = daemon.AddService("web", "# the web service\nprocess:\n  working_directory: {wd}   # its home\n  start_command: [\"/bin/sleep\", \"1000\"]\n");
        await daemon.StartAsync();
        Assert.Equal("disabled web\nstopped: web\n", await daemon.PmctlOkAsync("disable", "web"));
        Assert.EndsWith("# its home\n  start_command: [\"/bin/sleep\", \"1000\"]\nglobal:\n  enabled: false\n", File.ReadAllText(file));
        Assert.StartsWith("# the web service\n", File.ReadAllText(file));
        var disabled = await daemon.StatusAsync("web");
        Assert.Equal("STOPPED", disabled.State);
        Assert.False(disabled.Enabled);

        Assert.StartsWith("enabled web\n", await daemon.PmctlOkAsync("enable", "web"));
        Assert.Contains("enabled: true", File.ReadAllText(file));
        await daemon.WaitForStateAsync("web", "RUNNING");
    }

    [SystemFact]
    public async Task Update_AddsRemovesRestartsAndKeepsTheLastGoodDefinition()
    {
        await using var daemon = new TestDaemon();
        var changed = daemon.AddShellService("changed", "exec sleep 1000");
        daemon.AddShellService("same", "exec sleep 1000");
        var removed = daemon.AddShellService("removed", "exec sleep 1000");
        var broken = daemon.AddShellService("broken", "exec sleep 1000");
        await daemon.StartAsync();
        var samePid = (await daemon.StatusAsync("same")).MainPid;
        var changedPid = (await daemon.StatusAsync("changed")).MainPid;
        var removedPids = daemon.Cgroups.Pids("removed");

        daemon.AddShellService("added", "exec sleep 1000");
        daemon.AddShellService("changed", "exec sleep 1001");
        File.Delete(removed);
        File.WriteAllText(broken, File.ReadAllText(broken) + "bogus_key: 1\n");
        File.SetLastWriteTimeUtc(Path.Combine(daemon.ConfigDirectory, "same.yaml"), DateTime.UtcNow); // touched, not changed

        var update = await daemon.PmctlAsync("update");
        Assert.Equal(1, update.ExitCode); // what it could apply, it did; a file that fails to load is an error
        Assert.Equal("updated, with errors: 1 (warnings: 0); what failed keeps what it ran before\nadded: added\nremoved: removed\nrestarted: changed\n", update.Stdout);
        Assert.Contains("error: ", update.Stderr);
        Assert.Contains("broken.yaml:4:1: bogus_key: unknown key", update.Stderr);

        await daemon.WaitForStateAsync("added", "RUNNING");
        var restarted = await Eventually.ValueAsync(() => daemon.StatusAsync("changed"), s => s.State == "RUNNING" && s.MainPid != changedPid,
            TimeSpan.FromSeconds(10), "changed to restart");
        Assert.Equal("sleep 1001", ProcessTable.CommandLine(restarted.MainPid!.Value).Replace("sh[changed]", "").Trim());
        Assert.Equal(samePid, (await daemon.StatusAsync("same")).MainPid);
        var brokenStatus = await daemon.StatusAsync("broken");
        Assert.True(brokenStatus.Outdated);
        Assert.Equal("RUNNING", brokenStatus.State);
        Assert.All(removedPids, pid => Assert.False(ProcessTable.Exists(pid)));
        Assert.False(Directory.Exists(daemon.Cgroups.ServiceGroup("removed")));
        Assert.DoesNotContain("removed", await daemon.PmctlOkAsync("status"));
    }

    [SystemFact]
    public async Task Flags_AreShownInStatus_ExpireAfterTheirTtlSayingSo_AndOutliveAReexec()
    {
        await using var daemon = new TestDaemon();
        daemon.AddShellService("web", "exec sleep 1000");
        await daemon.StartAsync();
        var before = (await daemon.StatusAsync("web")).MainPid;

        Assert.StartsWith("web: flagged maintenance\nflags: maintenance (", await daemon.PmctlOkAsync("flag", "web", "maintenance", "-t", "2s"));
        await daemon.PmctlOkAsync("flag", "web", "ticket-4711,keep");
        // maintenance may have expired by now on a busy machine; the others stay.
        var status = await daemon.StatusAsync("web");
        Assert.Equal(["keep", "ticket-4711"], status.Flags.Select(f => f.Name).Where(f => f != "maintenance"));
        Assert.All(status.Flags, f => Assert.Equal(f.Name == "maintenance", f.ExpiresAt is not null));
        Assert.Matches(@"^NAME +STATE .* FLAGS +LAST\nweb +RUNNING .* keep, (maintenance \(\ds left\), )?ticket-4711 ", await daemon.PmctlOkAsync("status"));

        var expired = await Eventually.ValueAsync(() => daemon.PmctlOkAsync("events", "web"), e => e.Contains("[flag] app=web flag maintenance expired"), TimeSpan.FromSeconds(20), "the flag to expire");
        Assert.Contains("[flag] app=web flag maintenance set by root via pmctl until ", expired);
        Assert.Equal(["keep", "ticket-4711"], (await daemon.StatusAsync("web")).Flags.Select(f => f.Name));

        Assert.Equal("web: unflagged ticket-4711 (had no nope)\nflags: keep\n", await daemon.PmctlOkAsync("unflag", "web", "ticket-4711,nope"));
        var bad = await daemon.PmctlAsync("flag", "web", "no spaces");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("'no spaces' is not a flag", bad.Stderr);

        await daemon.PmctlOkAsync("daemon-reexec");
        var after = await daemon.StatusAsync("web");
        Assert.Equal(before, after.MainPid);
        Assert.Equal(["keep"], after.Flags.Select(f => f.Name));
    }

    [SystemFact]
    public async Task AdminActions_ListRunPsKill()
    {
        await using var daemon = new TestDaemon("""
            admin_actions:
              hello:
                label: "Say hello"
                command: ["/bin/sh", "-c", "echo $PROCESSMASTER_ADMIN_ACTION; exec sleep 60"]
              missing:
                command: ["/no/such/tool"]
            """);
        await daemon.StartAsync();
        Assert.Equal("Say hello (hello)\nmissing (missing)\n", await daemon.PmctlOkAsync("admin-list"));
        Assert.Equal("(none)\n", await daemon.PmctlOkAsync("admin-ps"));
        var run = await daemon.PmctlOkAsync("admin-run", "hello");
        var pid = int.Parse(System.Text.RegularExpressions.Regex.Match(run, @"^admin_action hello spawned pid=(\d+)\n$").Groups[1].Value);
        Assert.Equal($"{pid}\n", await daemon.PmctlOkAsync("admin-ps"));
        Assert.Contains($"0::/{daemon.CgroupName}/admin_actions", File.ReadAllText($"/proc/{pid}/cgroup"));
        var log = Path.Combine(daemon.Directory, "logs", "admin_action_stdout.log");
        await Eventually.TrueAsync(() => File.Exists(log) && File.ReadAllText(log) == "hello\n", TimeSpan.FromSeconds(5), "the action's output");

        Assert.Equal("killed admin actions (pids_before=1)\n", await daemon.PmctlOkAsync("admin-kill"));
        await Eventually.TrueAsync(() => !ProcessTable.Exists(pid), TimeSpan.FromSeconds(5), "the action to die");
        Assert.Equal("(none)\n", await daemon.PmctlOkAsync("admin-ps"));
        var audit = (await daemon.EventsAsync()).OfKind("admin_action").ToList();
        var ran = Assert.Single(audit, e => (e.Field("step"), e.Field("by"), e.Field("id")) == ("run", "root via pmctl", "hello"));
        Assert.Equal(["/bin/sh", "-c", "echo $PROCESSMASTER_ADMIN_ACTION; exec sleep 60"], ran.Event!.Value.GetProperty("argv").EnumerateArray().Select(a => a.GetString()));
        Assert.Contains(audit, e => e.Field("step") == "spawned" && e.Field("pid") == $"{pid}");
        Assert.Contains(audit, e => (e.Field("step"), e.Field("by"), e.Field("count")) == ("kill_all", "root via pmctl", "1"));
        Assert.Contains(audit, e => e.Field("step") == "ended" && e.Field("exit.signal") == "9");

        var unknown = await daemon.PmctlAsync("admin-run", "nope");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("admin action \"nope\" is not configured", unknown.Stderr);
        var failing = await daemon.PmctlAsync("admin-run", "missing");
        Assert.Equal(1, failing.ExitCode);
        Assert.Contains("cannot execute /no/such/tool", failing.Stderr);
    }

    [SystemFact]
    public async Task Password_GenerateThenVerify()
    {
        var generated = await Run.ProgramAsync(Dist.Pmctl, ["password", "generate", "--user", "ops"], stdin: "s3cret\n");
        Assert.Equal(0, generated.ExitCode);
        var line = generated.Stdout.Trim();
        Assert.Matches(@"^ops:\$2b\$12\$.{53}$", line);
        Assert.Equal(0, (await Run.ProgramAsync(Dist.Pmctl, ["password", "verify", "--secure", line, "--user", "ops"], stdin: "s3cret\n")).ExitCode);
        var wrong = await Run.ProgramAsync(Dist.Pmctl, ["password", "verify", "--secure", line, "--user", "ops"], stdin: "nope\n");
        Assert.Equal(1, wrong.ExitCode);
        Assert.Equal("FAIL\n", wrong.Stderr);
        var otherUser = await Run.ProgramAsync(Dist.Pmctl, ["password", "verify", "--secure", line, "--user", "root"], stdin: "s3cret\n");
        Assert.Equal(1, otherUser.ExitCode);
        Assert.Equal(2, (await Run.ProgramAsync(Dist.Pmctl, ["password", "generate", "--user", "a:b"], stdin: "x\n")).ExitCode);
    }

    [SystemFact]
    public async Task Help_DescribesEveryCommand()
    {
        var help = await Run.ProgramAsync(Dist.Pmctl, ["--help"]);
        Assert.Equal(0, help.ExitCode);
        foreach (var command in new[] { "status", "events", "logs", "start", "stop", "restart", "enable", "disable", "update", "version",
                     "server-version", "perf-metrics", "ps", "admin-list", "admin-ps", "admin-run", "admin-kill", "password", "daemon-reexec" })
        {
            Assert.Matches($@"\n\s+{command}\s", help.Stdout);
        }

        Assert.Contains("--sock", help.Stdout);
        // Optional arguments look optional; required ones do not.
        Assert.Matches(@"\n  status \[NAME\] +Show services", help.Stdout);
        Assert.Matches(@"\n  ps \[NAME\] +Show each", help.Stdout);
        Assert.Matches(@"\n  stop <NAME> +Stop a service", help.Stdout);
    }
}
