using ProcessMaster.IntegrationTests.Support;

namespace ProcessMaster.IntegrationTests;

/// <summary>umask, limits, nice, I/O class, CPU affinity and OOM score, each read from inside the running service.</summary>
public class ProcessTuningTests
{
    [SystemFact]
    public async Task EverySettingIsWhatTheServiceFindsInProc_AlsoForAnUnprivilegedUserThatCouldNotSetThemItself()
    {
        await using var daemon = new TestDaemon();
        // Raising a hard limit or lowering the OOM score needs CAP_SYS_RESOURCE, which a container may not
        // give even to root: the hard limit is the daemon's own (its soft one lowered), the score raised.
        var hard = System.Text.RegularExpressions.Regex.Match(File.ReadAllText("/proc/self/limits"), @"Max open files\s+\d+\s+(\d+)").Groups[1].Value;
        // What the process sees of itself; it runs as nobody, which can raise none of these.
        const string report = "cat /proc/self/limits > limits; grep -E '^(Cpus_allowed_list|Umask)' /proc/self/status > status; " +
                              "cat /proc/self/oom_score_adj > oom; ionice -p $$ > io; cut -d' ' -f19 /proc/self/stat > nice; exec sleep 1000";
        daemon.AddService("tuned", $$"""
            process:
              working_directory: {wd}
              start_command: ["/bin/sh", "-c", {{System.Text.Json.JsonSerializer.Serialize(report)}}]
              user: nobody
              umask: "0027"
              limits:
                open_files: {soft: 2048, hard: {{hard}}}
                core_size: unlimited
                stack_size: 16MiB
                processes: 512
                locked_memory: 1MiB
              nice: -5
              io_scheduling: realtime:3
              cpu_affinity: "0"
              oom_score_adjust: 500
            provisioning:
              - path: .
                ownership: {owner: nobody}
            """);
        await daemon.StartAsync();
        await daemon.WaitForStateAsync("tuned", "RUNNING");
        var wd = daemon.WorkDir("tuned");
        string Read(string file) => File.ReadAllText(Path.Combine(wd, file));
        await Eventually.TrueAsync(() => File.Exists(Path.Combine(wd, "nice")) && Read("nice").Length > 0, TimeSpan.FromSeconds(15), "the service's report");

        var limits = Read("limits");
        Assert.Matches(@"Max open files\s+2048\s+" + hard + @"\s+files", limits);
        Assert.Matches(@"Max core file size\s+unlimited\s+unlimited", limits);
        Assert.Matches(@"Max stack size\s+16777216\s+16777216", limits);
        Assert.Matches(@"Max processes\s+512\s+512", limits);
        Assert.Matches(@"Max locked memory\s+1048576\s+1048576", limits);
        Assert.Contains("Umask:\t0027", Read("status"));
        Assert.Contains("Cpus_allowed_list:\t0\n", Read("status"));
        Assert.Equal("500", Read("oom").Trim());
        Assert.Equal("realtime: prio 3", Read("io").Trim());
        Assert.Equal("-5", Read("nice").Trim());

        // What status shows of one service: the limits its main process has, set or inherited.
        var shown = await daemon.PmctlOkAsync("status", "tuned");
        Assert.Contains($"tuned limits: open_files 2048 (hard {hard}), processes 512, core_size unlimited, locked_memory 1048576, stack_size 16777216", shown);
        Assert.DoesNotContain("limits:", await daemon.PmctlOkAsync("status"));
    }

    [SystemFact]
    public async Task ASettingTheKernelRefuses_FailsTheStartSayingWhich()
    {
        await using var daemon = new TestDaemon();
        daemon.AddService("refused", """
            process:
              working_directory: {wd}
              start_command: ["/bin/sleep", "1000"]
              limits: {open_files: 99999999999}
            restart_policy: {policy: never}
            """);
        await daemon.StartAsync();
        var failed = await daemon.WaitForStateAsync("refused", "FAILED");
        Assert.Contains("setrlimit", failed.LastError);
    }
}
