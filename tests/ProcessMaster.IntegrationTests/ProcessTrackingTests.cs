using ProcessMaster.Core.Cgroups;
using System.Diagnostics;
using System.Text.Json;
using ProcessMaster.IntegrationTests.Support;
using ProcessMaster.Protocol;

namespace ProcessMaster.IntegrationTests;

/// <summary>A service is whatever is in its cgroup, however it forks; a stop leaves nothing behind.</summary>
public class ProcessTrackingTests
{
    private const string Forker =
        "sleep 1000 & (sleep 1001 &) ; setsid sh -c 'sleep 1002 & exec sleep 1003' & exit 0";

    /// <summary>A pid list longer than the page the kernel hands out per read is still read whole.</summary>
    [SystemFact]
    public async Task ServiceWithFifteenHundredProcesses_StatusCountsEveryOne()
    {
        await using var daemon = new TestDaemon();
        daemon.AddShellService("many", "for i in $(seq 1500); do sleep 1000 & done; exec sleep 1000");
        await daemon.StartAsync();
        // Forking 1500 sleeps is the slow part on a busy machine; the daemon is asked once they all run.
        await Eventually.TrueAsync(() => daemon.Cgroups.Pids("many").Count == 1501, TimeSpan.FromSeconds(150), "1501 processes in the cgroup");
        var status = await daemon.StatusAsync("many");
        Assert.Equal(daemon.Cgroups.Pids("many").Order(), status.Pids.Order());
        await daemon.PmctlOkAsync("stop", "many");
        Assert.Empty(daemon.Cgroups.Pids("many"));
    }

    /// <summary>A service that puts a worker into a cgroup of its own making, below its own: still its process.</summary>
    [SystemFact]
    public async Task AWorkerInASubGroupTheServiceMade_IsInItsStatus_AndStopLeavesNothing()
    {
        await using var daemon = new TestDaemon();
        var worker = Path.Combine(daemon.Cgroups.ServiceGroup("nested"), "worker");
        daemon.AddShellService("nested", $"mkdir -p {worker}; sh -c 'echo $$ > {worker}/cgroup.procs; exec sleep 1000' & exec sleep 1000");
        await daemon.StartAsync();

        var status = await Eventually.ValueAsync(() => daemon.StatusAsync("nested"), s => s.Pids.Count == 2, TimeSpan.FromSeconds(10), "the main process and its worker");
        var inWorker = CgroupFs.ReadPidsRecursive(worker);
        Assert.Single(inWorker);
        Assert.Contains(inWorker[0], status.Pids);
        Assert.Equal("sleep 1000", ProcessTable.CommandLine(inWorker[0]));

        await daemon.PmctlOkAsync("stop", "nested");
        Assert.Empty(daemon.Cgroups.Pids("nested"));
        Assert.False(ProcessTable.Exists(inWorker[0]));
    }

    [SystemFact]
    public async Task ServiceThatBackgroundsChildrenAndExits_StaysRunning_AndStopLeavesNothing_EveryTime()
    {
        await using var daemon = new TestDaemon();
        daemon.AddShellService("forker", Forker);
        await daemon.StartAsync();
        for (var round = 0; round < 3; round++)
        {
            if (round > 0)
            {
                await daemon.PmctlOkAsync("start", "forker");
            }

            // Background child, double fork, and a setsid daemon: four sleeps, the main shell gone (a child
            // counted before it executed sleep still shows its parent's command line: wait for all four).
            var status = await Eventually.ValueAsync(() => daemon.StatusAsync("forker"),
                s => s.Pids.Count == 4 && s.LastExitCode == 0 && s.Pids.All(pid => ProcessTable.CommandLine(pid).StartsWith("sleep 100", StringComparison.Ordinal)),
                TimeSpan.FromSeconds(10), "every forked process to be tracked and the main shell gone");
            Assert.Equal("RUNNING", status.State);
            Assert.Equal(0, status.Restarts);
            Assert.Equal(0, status.LastExitCode);
            var pids = daemon.Cgroups.Pids("forker");
            Assert.Equal(4, pids.Count);
            Assert.All(pids, pid => Assert.StartsWith("sleep 100", ProcessTable.CommandLine(pid)));

            var stop = await daemon.PmctlAsync("stop", "forker");
            Assert.Equal(0, stop.ExitCode);
            Assert.Equal("forker: stopped\n", stop.Stdout);
            Assert.Empty(daemon.Cgroups.Pids("forker"));
            Assert.All(pids, pid => Assert.False(ProcessTable.Exists(pid), $"pid {pid} survived the stop"));
        }
    }

    [SystemFact]
    public async Task ServiceIgnoringSigterm_IsKilledThroughCgroupKill_WhenTheGracePeriodEnds()
    {
        await using var daemon = new TestDaemon();
        daemon.AddShellService("stubborn", "trap '' TERM; sleep 1000 & trap '' TERM; while :; do sleep 1; done",
            "  stop_grace_period_ms: 1500");
        daemon.AddShellService("polite", "exec sleep 1000");
        await daemon.StartAsync();
        await daemon.WaitForStateAsync("stubborn", "RUNNING");

        var polite = Stopwatch.StartNew();
        await daemon.PmctlOkAsync("stop", "polite");
        polite.Stop();

        var stubborn = Stopwatch.StartNew();
        var result = await daemon.PmctlAsync("stop", "stubborn");
        stubborn.Stop();
        Assert.Equal(0, result.ExitCode);
        Assert.Empty(daemon.Cgroups.Pids("stubborn"));
        Assert.InRange(stubborn.Elapsed, TimeSpan.FromMilliseconds(1400), TimeSpan.FromMilliseconds(1500) + polite.Elapsed * 10 + TimeSpan.FromSeconds(1));
        var steps = (await daemon.EventsAsync("stubborn")).OfKind("stop_progress").Select(e => e.Field("step")).ToList();
        Assert.Equal(["grace_started", "grace_expired"], steps);
    }

    [SystemFact]
    public async Task StopCommand_RunsInsteadOfTheSignal_WithItsOwnLogs()
    {
        await using var daemon = new TestDaemon();
        daemon.AddService("svc", """
            process:
              working_directory: {wd}
              start_command: ["/bin/sh", "-c", "trap 'echo got TERM; exit 0' TERM; echo $$ > pid; while :; do sleep 0.1; done"]
              stop_command: ["/bin/sh", "-c", "echo bye; kill $(cat pid)"]
            """);
        await daemon.StartAsync();
        await daemon.WaitForStateAsync("svc", "RUNNING");
        await Eventually.TrueAsync(() => File.Exists(Path.Combine(daemon.WorkDir("svc"), "pid")), TimeSpan.FromSeconds(5), "the pid file");

        await daemon.PmctlOkAsync("stop", "svc");
        var dir = daemon.WorkDir("svc");
        Assert.Equal("bye\n", File.ReadAllText(Path.Combine(dir, "logs", "stop_command_stdout.log")));
        Assert.Contains("got TERM", File.ReadAllText(Path.Combine(dir, "logs", "stdout.log")));
        var events = await daemon.EventsAsync("svc");
        Assert.Equal(["command_running", "grace_started", "command_succeeded"], events.OfKind("stop_progress").Select(e => e.Field("step")));
        Assert.Empty(events.OfKind("signal_sent"));
    }

    [SystemFact]
    public async Task HangingStopCommand_IsKilledWithTheServiceAtTheDeadline()
    {
        await using var daemon = new TestDaemon();
        daemon.AddService("svc", """
            process:
              working_directory: {wd}
              start_command: ["/bin/sleep", "1000"]
              stop_command: ["/bin/sleep", "1000"]
              stop_grace_period_ms: 1000
            """);
        await daemon.StartAsync();
        await daemon.WaitForStateAsync("svc", "RUNNING");
        var watch = Stopwatch.StartNew();
        await daemon.PmctlOkAsync("stop", "svc");
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(900), TimeSpan.FromSeconds(6));
        Assert.Empty(daemon.Cgroups.Pids("svc"));
        Assert.Contains((await daemon.EventsAsync("svc")).OfKind("stop_progress"), e => e.Field("step") == "command_timed_out");
    }

    [SystemFact]
    public async Task ProcessesAreInTheirCgroupBeforeTheyRun_WithAMinimalEnvironment()
    {
        await using var daemon = new TestDaemon();
        daemon.AddService("env", """
            process:
              working_directory: {wd}
              start_command: ["/bin/sh", "-c", "cat /proc/self/cgroup > cgroup.txt; env | sort > env.txt; pwd > pwd.txt; while :; do sleep 1; done"]
              user: nobody
              environment:
                - {name: GREETING, value: hello}
                - {name: SECRET, value: "@base64://czNjcjN0"}
            provisioning:
              - path: .
                ownership: {owner: nobody}
            """);
        await daemon.StartAsync();
        var status = await daemon.WaitForStateAsync("env", "RUNNING");
        var dir = daemon.WorkDir("env");
        await Eventually.TrueAsync(() => File.Exists(Path.Combine(dir, "pwd.txt")) && File.ReadAllText(Path.Combine(dir, "pwd.txt")).Length > 0,
            TimeSpan.FromSeconds(5), "the service to write its files");

        Assert.Contains($"0::/{daemon.CgroupName}/pm-env/run", File.ReadAllText(Path.Combine(dir, "cgroup.txt")));
        var environment = File.ReadAllLines(Path.Combine(dir, "env.txt"));
        Assert.Contains("GREETING=hello", environment);
        Assert.Contains("SECRET=s3cr3t", environment);
        Assert.Contains("USER=nobody", environment);
        Assert.Contains("LOGNAME=nobody", environment);
        Assert.Contains("SHELL=/bin/sh", environment);
        Assert.Contains(environment, l => l.StartsWith("PATH=/usr/local/sbin:"));
        Assert.DoesNotContain(environment, l => l.StartsWith("PMCTL_SOCK=") || l.StartsWith("DOTNET_"));
        Assert.Equal(dir + "\n", File.ReadAllText(Path.Combine(dir, "pwd.txt")));

        var pid = status.MainPid!.Value;
        // /bin/sh is a link (to dash or busybox): its argv[0] is left alone, programs that dispatch on it keep working.
        Assert.StartsWith("/bin/sh -c cat /proc/self/cgroup", ProcessTable.CommandLine(pid));
        var procStatus = File.ReadAllLines($"/proc/{pid}/status");
        Assert.Contains(procStatus, l => l.StartsWith("Uid:") && l.Split('\t', StringSplitOptions.RemoveEmptyEntries).Skip(1).All(id => id == "65534"));
        Assert.Contains(procStatus, l => l.StartsWith("Groups:") && !l.Split(' ', '\t').Contains("0"));
        var stdout = new FileInfo(Path.Combine(dir, "logs", "stdout.log"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(stdout.FullName));
    }

    [SystemFact]
    public async Task Argv0IsTheCommandsOwn_UnlessDecorationIsAskedFor_AndThenOnlyForPlainBinaries()
    {
        await using var daemon = new TestDaemon();
        var binary = Path.Combine(daemon.WorkDir("titled"), "worker");
        File.Copy("/bin/sleep", binary);
        daemon.AddService("plain", "process:\n  working_directory: {wd}\n  start_command: [\"sleep\", \"1000\"]\n");
        daemon.AddService("titled", "process:\n  working_directory: {wd}\n  start_command: [\"./worker\", \"1001\"]\n  decorate_argv0: true\n");
        daemon.AddService("path", "process:\n  working_directory: {wd}\n  start_command: [\"sleep\", \"1002\"]\n  decorate_argv0: true\n");
        await daemon.StartAsync();
        Assert.Equal("sleep 1000", ProcessTable.CommandLine((await daemon.WaitForStateAsync("plain", "RUNNING")).MainPid!.Value));
        Assert.Equal("worker[titled] 1001", ProcessTable.CommandLine((await daemon.WaitForStateAsync("titled", "RUNNING")).MainPid!.Value));
        Assert.Equal("sleep[path] 1002", ProcessTable.CommandLine((await daemon.WaitForStateAsync("path", "RUNNING")).MainPid!.Value));
    }

    [SystemFact]
    public async Task PmctlPs_ShowsEveryProcessOfTheCgroupAsATree_WithItsUserAndCommandLine()
    {
        await using var daemon = new TestDaemon();
        var wd = daemon.WorkDir("tree");
        Assert.Equal(0, (await Run.ProgramAsync("chown", ["nobody", wd])).ExitCode);
        // sh -> (sh -> sleep 1001), sleep 1002; plus a daemonized sleep 1003 whose parent is gone (a root of its own).
        daemon.AddService("tree", """
            process:
              working_directory: {wd}
              start_command: ["/bin/sh", "-c", "(sleep 1001; true) & sleep 1002 & setsid sh -c 'sleep 1003 &'; wait"]
              user: nobody
            """);
        daemon.AddService("idle", "process:\n  working_directory: {wd}\n  start_command: [\"/bin/sleep\", \"1000\"]\nglobal:\n  enabled: false\n");
        await daemon.StartAsync();
        var status = await daemon.WaitForStateAsync("tree", "RUNNING");
        await Eventually.TrueAsync(() => daemon.Cgroups.Pids("tree").Select(ProcessTable.CommandLine).Count(c => c.StartsWith("sleep 100", StringComparison.Ordinal)) == 3,
            TimeSpan.FromSeconds(10), "three sleeps");

        var json = JsonSerializer.Deserialize(await daemon.PmctlOkAsync("ps", "tree", "--format", "json"), ProtocolJsonContext.Default.ProcessesResult)!;
        var service = Assert.Single(json.Services);
        Assert.Equal((status.MainPid, "RUNNING"), (service.MainPid, service.State));
        Assert.Equal(daemon.Cgroups.Pids("tree").Order(), service.Processes.Select(p => p.Pid).Order());
        Assert.All(service.Processes, p => Assert.Equal("nobody", p.User));
        var main = Assert.Single(service.Processes, p => p.Pid == status.MainPid);
        Assert.StartsWith("/bin/sh -c (sleep 1001; true) &", main.Command);
        var subshell = Assert.Single(service.Processes, p => p.Ppid == main.Pid && p.Command.StartsWith("/bin/sh", StringComparison.Ordinal));
        Assert.Contains(service.Processes, p => p.Ppid == subshell.Pid && p.Command == "sleep 1001");
        Assert.Contains(service.Processes, p => p.Ppid == main.Pid && p.Command == "sleep 1002");
        var orphan = Assert.Single(service.Processes, p => p.Command == "sleep 1003");
        Assert.DoesNotContain(service.Processes, p => p.Pid == orphan.Ppid);
        Assert.All(service.Processes, p => Assert.InRange(p.RssBytes, 1, 1L << 30));
        Assert.All(service.Processes, p => Assert.InRange(DateTimeOffset.Now - p.StartedAt, TimeSpan.FromSeconds(-2), TimeSpan.FromMinutes(2)));

        var text = await daemon.PmctlOkAsync("ps");
        Assert.Contains($"tree  RUNNING  main pid {main.Pid}  {daemon.Cgroups.ServiceGroup("tree")}", text);
        Assert.Matches(@"\n\s+\d+  nobody .* /bin/sh -c \(sleep 1001", text);
        Assert.Matches(@"\n\s+\d+  nobody .* [├└]─ /bin/sh -c \(sleep 1001", text);
        Assert.Matches(@"\n\s+\d+  nobody .* [│ ]  └─ sleep 1001\n", text);
        Assert.True(text.Contains("idle  STOPPED", StringComparison.Ordinal), text);
        Assert.Contains("(no processes)", text);
    }

    [SystemFact]
    public async Task MissingCommand_FailsTheStartWithTheReason()
    {
        await using var daemon = new TestDaemon();
        daemon.AddService("broken", """
            process:
              working_directory: {wd}
              start_command: ["/no/such/binary"]
            restart_policy:
              policy: never
            global:
              enabled: false
            """);
        await daemon.StartAsync();
        var result = await daemon.PmctlAsync("start", "broken", "--force");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("broken: start failed: cannot execute /no/such/binary: No such file or directory", result.Stderr);
        Assert.DoesNotContain("broken: broken:", result.Stderr); // pmctl names the service once
    }
}
