using ProcessMaster.IntegrationTests.Support;
using ProcessMaster.Protocol;

namespace ProcessMaster.IntegrationTests;

/// <summary>
/// Services running as nobody, in directories nobody owns, attack the root daemon through their log
/// directories: FIFOs (with and without a writer), a symlinked log file and log directory, a hard link
/// to a root file, directories swapped during rotation. Meanwhile a crash-looper keeps being restarted.
/// The daemon must stay up, keep supervising on time, report each refusal, and never read or write
/// outside the services' own files (root-only canaries stay untouched and unread).
/// </summary>
public class HostileServiceTests
{
    private const string Canary = "CANARY-root-only-0f3a";

    /// <summary>A service of nobody, in its own directory; <paramref name="firstRun"/> is the attack (then it exits to be restarted), <paramref name="laterRuns"/> what it does after.</summary>
    private static void AddAttacker(TestDaemon daemon, string name, string firstRun, string laterRuns, string logs = "")
    {
        var script = $"if [ ! -e .attacked ]; then touch .attacked; {firstRun}; exit 3; fi; {laterRuns}";
        daemon.AddService(name, $$"""
            process:
              working_directory: {wd}
              start_command: ["/bin/sh", "-c", {{System.Text.Json.JsonSerializer.Serialize(script)}}]
              user: nobody
            restart_policy:
              policy: always
              restart_backoff_ms: 300
              tolerance: {max_restarts: 10, duration: 1h}
            provisioning:
              - path: .
                ownership: {owner: nobody}
            {{logs}}
            """);
    }

    /// <summary>Writes 11 MB to stdout, then says so in a file: the daemon kept draining the pipe.</summary>
    private const string Flood = "i=0; while [ $i -lt 110 ]; do head -c 100000 /dev/zero | tr '\\0' 'x'; i=$((i+1)); done; touch wrote-11mb; exec sleep 100000";

    [SystemFact]
    public async Task AttacksThroughLogDirectories_NeitherCrashNorFreezeTheDaemon_NorReachRootFiles()
    {
        await using var daemon = new TestDaemon();
        var rootOnly = Directory.CreateDirectory(Path.Combine(daemon.Directory, "root-only")).FullName;
        File.SetUnixFileMode(rootOnly, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var secret = Path.Combine(rootOnly, "secret");
        await File.WriteAllTextAsync(secret, Canary + "\n");
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        // Root's, but writable by all: the kernel then lets anyone hard-link it (protected_hardlinks).
        var shared = Path.Combine(daemon.Directory, "shared-root-file");
        await File.WriteAllTextAsync(shared, Canary + "\n");
        File.SetUnixFileMode(shared, (UnixFileMode)0x1B6);

        const string swap = "mv logs logs.old; mkdir logs";
        AddAttacker(daemon, "fifo", $"{swap}; mkfifo logs/stdout.log logs/stderr.log", Flood);
        AddAttacker(daemon, "fifo-held", $"{swap}; mkfifo logs/stdout.log; sleep 2", Flood);
        daemon.AddService("fifo-holder", """
            process:
              working_directory: {wd}
              start_command: ["/bin/sh", "-c", "while [ ! -p ../fifo-held/logs/stdout.log ]; do sleep 0.1; done; exec 3<>../fifo-held/logs/stdout.log; head -c 11000000 /dev/zero >&3; exec sleep 100000"]
              user: nobody
            """);
        AddAttacker(daemon, "link-file", $"{swap}; ln -s {secret} logs/stdout.log; ln -s {secret} logs/stderr.log", "echo leaked-through-link; exec sleep 100000");
        AddAttacker(daemon, "link-dir", $"mv logs logs.old; ln -s {rootOnly} logs", "echo into-root-dir; exec sleep 100000");
        AddAttacker(daemon, "hardlink", $"{swap}; ln {shared} logs/stdout.log || touch no-hardlink", "echo through-hardlink; exec sleep 100000");
        AddAttacker(daemon, "swapper", swap, // from then on the log directory is the service's own, so it can plant names in it
            $"(while :; do mv logs logs.x; ln -s {rootOnly} logs; sleep 0.02; rm logs; mv logs.x logs; mkfifo logs/stdout.log.2 2>/dev/null; ln -sf {secret} logs/stdout.log.3; sleep 0.02; done) & " +
            "while :; do seq 1 2000; done",
            logs: "logs:\n  rotation_size: 20k\n  rotation_backups: 3");
        daemon.AddShellService("crashloop", "exit 1", """
            restart_policy:
              policy: always
              restart_backoff_ms: 500
              tolerance: {max_restarts: 500, duration: 1h}
            """);
        await daemon.StartAsync();

        // Every attack has run and been met.
        foreach (var name in new[] { "fifo", "fifo-held" })
        {
            await Eventually.TrueAsync(() => File.Exists(Path.Combine(daemon.WorkDir(name), "wrote-11mb")), TimeSpan.FromSeconds(90),
                $"{name} to write 11 MB past a refused FIFO (the daemon keeps draining its pipe)");
        }

        static bool Refused(IEnumerable<EventRecord> events, string app, string what) =>
            events.OfKind("log_problem").Any(e => e.App == app && e.Field("detail")!.Contains(what, StringComparison.Ordinal));
        var events = await Eventually.ValueAsync(() => daemon.EventsAsync(n: 2000),
            e => Refused(e, "fifo", "fifo/logs/stdout.log: is a FIFO") && Refused(e, "fifo-held", "fifo-held/logs/stdout.log: is a FIFO") &&
                 Refused(e, "link-file", "link-file/logs/stdout.log: is a symbolic link") && Refused(e, "link-dir", "link-dir/logs: is a symbolic link"),
            TimeSpan.FromSeconds(30), "each refusal to be reported");
        if (!File.Exists(Path.Combine(daemon.WorkDir("hardlink"), "no-hardlink")))
        {
            Assert.True(Refused(events, "hardlink", "hardlink/logs/stdout.log: has 2 hard links"));
        }

        // The crash-looper is still restarted on time while all this goes on, and nothing is left a zombie.
        var before = (await daemon.StatusAsync("crashloop")).Restarts;
        await Eventually.ValueAsync(() => daemon.StatusAsync("crashloop"), s => s.Restarts >= before + 3, TimeSpan.FromSeconds(30),
            "the crash-looper to be restarted again");
        // A child that just exited is a zombie until the reaper's next sweep: each one seen must go soon.
        var zombies = daemon.ZombieChildren();
        await Eventually.TrueAsync(() => !daemon.ZombieChildren().Overlaps(zombies), TimeSpan.FromSeconds(10), "the daemon to reap its exited children");

        // Nothing was written to or read from root's files.
        Assert.Equal(Canary + "\n", await File.ReadAllTextAsync(secret));
        Assert.Equal(Canary + "\n", await File.ReadAllTextAsync(shared));
        Assert.Equal([secret], Directory.GetFileSystemEntries(rootOnly));
        foreach (var name in new[] { "link-file", "link-dir", "hardlink", "fifo", "swapper" })
        {
            var logs = await daemon.PmctlAsync("logs", name, "-n", "50");
            Assert.DoesNotContain(Canary, logs.Stdout + logs.Stderr);
        }

        Assert.Contains("is a symbolic link", (await daemon.PmctlAsync("logs", "link-file", "-n", "5")).Stdout);
        Assert.False(daemon.HasExited);
        Assert.Equal("RUNNING", (await daemon.StatusAsync("swapper")).State);
    }
}
