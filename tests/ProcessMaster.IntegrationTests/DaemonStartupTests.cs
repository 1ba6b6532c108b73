using ProcessMaster.Core.Cgroups;
using ProcessMaster.IntegrationTests.Support;

namespace ProcessMaster.IntegrationTests;

/// <summary>The daemon binary's command line: --check-config, --version, refusal to run without root or cgroup2.</summary>
public class DaemonStartupTests
{
    [SystemFact]
    public async Task CheckConfig_OnTheShippedExamples_ExitsZero()
    {
        foreach (var config in new[] { "config.yaml", "config.full.yaml" })
        {
            var result = await Run.ProgramAsync(Dist.Daemon, ["--check-config", "-c", Path.Combine(Dist.Root, "examples", config)]);
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Contains(": ok (", result.Stdout);
        }
    }

    [SystemFact]
    public async Task CheckConfig_WithATypoedKey_ExitsOneNamingFileLineAndTheNearestKey()
    {
        await using var daemon = new TestDaemon();
        var file = daemon.AddService("web", "process:\n  working_directory: {wd}\n  stop_signl: SIGINT\n");
        var result = await Run.ProgramAsync(Dist.Daemon, ["--check-config", "-c", daemon.ConfigPath]);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"{file}:3:3: process.stop_signl: unknown key; did you mean 'stop_signal'?", result.Stdout);
    }

    [SystemFact]
    public async Task CheckConfig_AHintOutsideTheWorkingDirectory_IsAWarningThatNamesItsPlace_AndTheServiceStillLoads()
    {
        await using var daemon = new TestDaemon();
        var file = daemon.AddService("web", "process:\n  working_directory: {wd}\nlogs:\n  hints: [../../etc/passwd, app.log]\n");
        var result = await Run.ProgramAsync(Dist.Daemon, ["--check-config", "-c", daemon.ConfigPath]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"warning: {file}:4:10: logs.hints: '../../etc/passwd' is outside the working directory {daemon.WorkDir("web")}; this hint is ignored", result.Stdout);
        Assert.Contains(": ok (1 service", result.Stdout);
    }

    [SystemFact]
    public async Task CheckConfig_ReportsEveryProblem_AndChangesNothing()
    {
        await using var daemon = new TestDaemon();
        daemon.AddService("a", "process:\n  working_directory: {wd}\n  user: no-such-user-here\n");
        daemon.AddService("b", "process:\n  working_directory: {wd}\nresources:\n  max_memory: lots\n");
        File.AppendAllText(daemon.ConfigPath, "  auto_service_directory: ./auto\n");
        var auto = Directory.CreateDirectory(Path.Combine(daemon.Directory, "auto", "fresh")).FullName;

        var result = await Run.ProgramAsync(Dist.Daemon, ["--check-config", "-c", daemon.ConfigPath]);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("process.user: user 'no-such-user-here' does not exist", result.Stdout);
        Assert.Contains("resources.max_memory: 'lots' is not a size", result.Stdout);
        Assert.Contains("2 problems", result.Stdout);
        Assert.False(File.Exists(Path.Combine(auto, "service.yml")));
        Assert.False(File.Exists(daemon.SocketPath));
        Assert.False(Directory.Exists(daemon.Cgroups.Master));
        Assert.False(Directory.Exists(Path.Combine(daemon.Directory, "state")));
    }

    [SystemFact]
    public async Task MasterConfigErrors_StopTheDaemonWithEveryError()
    {
        await using var daemon = new TestDaemon("web_console:\n  bind: nowhere\n  colour: blue\n");
        await daemon.StartAsync(waitReady: false);
        Assert.Equal(1, await daemon.ExitedAsync());
        Assert.Contains("web_console.bind: 'nowhere' is not an IP address", daemon.Output);
        Assert.Contains("web_console.colour: unknown key", daemon.Output);
        Assert.False(Directory.Exists(daemon.Cgroups.Master));
    }

    /// <summary>The master config of the original's README, word for word but for the socket, the cgroup name and the port.</summary>
    [SystemFact]
    public async Task TheOriginalsMasterConfig_StartsTheDaemon_EvenWhereSysFsCgroupIsNotCgroup2()
    {
        await using var daemon = new TestDaemon();
        var port = FreePort.Next();
        File.WriteAllText(daemon.ConfigPath, $$"""
            cgroup:
              root: /sys/fs/cgroup        # cgroup v2 root
              name: {{daemon.CgroupName}}         # master cgroup name -> /sys/fs/cgroup/processmaster
              memory_max: MAX             # writes memory.max (use MAX for unlimited)
              memory_swap_max: MAX        # writes memory.swap.max
              cpu_max: MAX                # writes cpu.max (use MAX for unlimited)

            unix_socket:
              path: {{daemon.SocketPath}}   # pmctl/web UI connect to this socket
              owner: root                     # chown socket file (requires root)
              group: root                     # chgrp socket file (requires root)
              mode: 0660                      # octal; accepts 660, "660", or "0660"

            global:
              config_directory: ./config.d    # directory of explicit service YAML files (*.yml/*.yaml)
              # auto_service_directory: ./auto_services  # optional implicit services (one per subdirectory)

            web_console:
              enabled: true                   # serve web UI at http(s)://bind:port/
              bind: 0.0.0.0                   # listen address
              port: {{port}}                      # listen port
              auth:
                basic:
                  users:
                    # htpasswd bcrypt entries in the form "user:hash".
                    # If you omit the whole web_console.auth section, it defaults to admin/admin (bootstrapping only).
                    - "admin:$2a$10$jqNWtAzhWEVlPnvJwyI6g.Nwb8YPU5ypCED9lBEhahUSs13ac1MPe"

            # Operator-triggered commands (run as root; cwd="."; fire-and-forget).
            admin_actions:
              update-pm:
                label: "Update ProcessMaster"  # optional display label; defaults to the id ("update-pm")
                command: ["/bin/sh", "-lc", "systemctl restart processmaster"]  # argv list
            """);
        daemon.AddShellService("web", "exec sleep 1000");
        await daemon.StartAsync();
        await daemon.WaitForStateAsync("web", "RUNNING");
        Assert.Contains("Update ProcessMaster (update-pm)", await daemon.PmctlOkAsync("admin-list"));
        var log = File.ReadAllText(Path.Combine(daemon.Directory, "logs", "processmaster.log"));
        // Everything runs; only the console stays off, saying why: plain HTTP on every address would send passwords in clear.
        Assert.Contains("web console not started: plain HTTP on 0.0.0.0 would send passwords in clear text; enable web_console.tls", log);
        if (!daemon.Cgroups.Layout.V2Root.Equals("/sys/fs/cgroup", StringComparison.Ordinal))
        {
            Assert.Contains("/sys/fs/cgroup is not a cgroup2 mount (hybrid host); using the cgroup2 hierarchy at", log);
        }
    }

    /// <summary>
    /// Every key of the original's service schema and README example, resources and I/O included: a service
    /// (size rotation, restart policy) and a cron job (time rotation, schedule bounds) between them. Both
    /// load and run; the I/O ceiling for a disk this host lacks is a warning, not a refusal.
    /// </summary>
    [SystemFact]
    public async Task ServiceFilesUsingEveryKeyOfTheOriginalsExamples_LoadAndRun()
    {
        await using var daemon = new TestDaemon();
        var tool = Path.Combine(daemon.WorkDir("sleeper"), "tool");
        File.Copy("/bin/sleep", tool);
        File.WriteAllText(Path.Combine(daemon.Directory, "secret"), "from-a-file");
        daemon.AddService("sleeper", $$"""
            application: sleeper            # optional; if omitted, derived from the filename
            process:
              working_directory: {wd}
              start_command: ["/bin/sh", "-c", "echo FOO=$FOO BAR=$BAR; exec sleep 1000000"]
              stop_signal: SIGTERM
              stop_grace_period_ms: 5000
              user: nobody
              group: nogroup
              environment:
                - name: FOO
                  value: bar
                - name: BAR
                  value: "@file://{{daemon.Directory}}/secret"
                - name: B64
                  value: "@base64://aGVsbG8="
                - name: SHORT
                  value: "@b64://aGVsbG8="
                - name: HEX
                  value: "@hex://68656c6c6f"
              inherit_environment: false
            logs:
              stdout: ./logs/stdout.log
              stderr: ./logs/stderr.log
              rotation_mode: size
              rotation_size: 10m
              rotation_backups: 10
              compression_enabled: true
              stop_command_stdout: ./logs/stop_command_stdout.log
              stop_command_stderr: ./logs/stop_command_stderr.log
              hints:
                - ./logs/app.log
            resources:
              max_cpu: 100m
              max_memory: 64MiB
              max_swap: 0
              io_weight: 500
              io_bandwidth:
                - {device: "253:8", max_read_bytes_per_second: 75MiB, max_write_bytes_per_second: 75MiB, max_read_iops: 5000, max_write_iops: 2000}
            restart_policy:
              policy: always
              restart_backoff_ms: 1000
              tolerance:
                max_restarts: 3
                duration: 1m
            global:
              enabled: true
            provisioning:
              - path: ./tool
                ownership: {owner: nobody, group: nogroup, recursive: false}
                mode: "0750"
                add_net_bind_capability: true
            """);
        daemon.AddService("nightly", """
            process:
              working_directory: {wd}
              start_command: ["/bin/true"]
              stop_command: ["/bin/true"]
              schedule: "*/5 * * * *"
              not_before: "2020-01-01"
              not_after: "2099-12-31 23:00:00"
              max_time_per_run: "30m"
            logs:
              rotation_mode: time
              rotation_frequency: daily
              rotation_max_age_ms: 2592000000
              compression_enabled: false
              stop_command_stdout: null
              stop_command_stderr: null
            """);

        var check = await Run.ProgramAsync(Dist.Daemon, ["--check-config", "-c", daemon.ConfigPath]);
        Assert.True(check.ExitCode == 0, check.Stdout + check.Stderr);
        await daemon.StartAsync();
        await daemon.WaitForStateAsync("sleeper", "RUNNING");
        Assert.NotNull((await daemon.StatusAsync("nightly")).NextRun);
        Assert.Contains("FOO=bar BAR=from-a-file", File.ReadAllText(Path.Combine(daemon.WorkDir("sleeper"), "logs", "stdout.log")));
        var events = await daemon.EventsAsync("sleeper");
        if (!Directory.Exists("/sys/dev/block/253:8"))
        {
            Assert.Contains(events.OfKind("limit_not_applied"), e => e.Field("detail")!.StartsWith("io_bandwidth device 253:8: this host has no block device", StringComparison.Ordinal));
        }
    }

    [SystemFact]
    public async Task Version_IsTheSameBuildInEveryBinary()
    {
        var daemon = await Run.ProgramAsync(Dist.Daemon, ["--version"]);
        var pmctl = await Run.ProgramAsync(Dist.Pmctl, ["version"]);
        Assert.Equal(0, daemon.ExitCode);
        Assert.Matches(@"^processmaster \(built on .+ at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC, build [0-9a-f]{32}\)\n$", daemon.Stdout);
        Assert.Equal(daemon.Stdout, pmctl.Stdout);
    }

    [SystemFact]
    public async Task NotRoot_ExitsOneWithAOneLineReason()
    {
        await using var daemon = new TestDaemon();
        var result = await Run.ProgramAsync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", Dist.Daemon, "-c", daemon.ConfigPath]);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("processmaster: must run as root (it manages cgroups and runs services as their users); running as uid 65534\n", result.Stderr);
    }

    /// <summary>
    /// A legacy v1 host has no cgroup2 mounted: in a private mount namespace without one, the daemon mounts
    /// its own at /run/processmaster/cgroup2, tracks its service there, removes its groups at shutdown and
    /// leaves the mount only while other groups use the hierarchy.
    /// </summary>
    [SystemFact]
    public async Task NoCgroup2_MountsAPrivateHierarchy_TracksServicesThere_AndKeepsItOnlyWhileOthersUseIt()
    {
        await using var daemon = new TestDaemon();
        daemon.AddShellService("web", "exec sleep 1000");
        var procs = $"{PrivateCgroup2.MountPoint}/{daemon.CgroupName}/pm-web/run/cgroup.procs";
        var script = $$"""
            for m in $(awk '$3 == "cgroup2" {print $2}' /proc/self/mounts); do umount "$m" || exit 99; done
            cd {{daemon.Directory}}
            {{Dist.Daemon}} -c {{daemon.ConfigPath}} > legacy.out 2>&1 &
            pm=$!
            trap 'kill -TERM $pm 2>/dev/null && wait $pm' EXIT
            i=0
            until [ -n "$(cat {{procs}} 2>/dev/null)" ]; do
              i=$((i + 1)); [ $i -gt 300 ] && { cat legacy.out; exit 98; }
              kill -0 $pm || { cat legacy.out; exit 97; }
              sleep 0.1
            done
            echo "tracked $(wc -l < {{procs}})"
            grep -q " {{PrivateCgroup2.MountPoint}} cgroup2 " /proc/self/mounts && echo mounted
            kill -TERM $pm; wait $pm; echo "exit $?"
            grep -q " cgroup2 " /proc/self/mounts && echo "still mounted" || echo unmounted
            cat legacy.out
            """;
        try
        {
            var result = await Run.ProgramAsync("unshare", ["--mount", "--propagation", "private", "/bin/sh", "-c", script]);
            Assert.True(result.ExitCode == 0, result.Stdout + result.Stderr);
            Assert.Contains("tracked 1\nmounted\nexit 0\n", result.Stdout);
            Assert.Contains($"no cgroup2 was mounted (legacy cgroup v1 host): mounted a private cgroup2 hierarchy at {PrivateCgroup2.MountPoint}", result.Stdout);
            // The kernel has one cgroup2 hierarchy, the host's: while other tests' groups are in it the daemon
            // leaves it mounted and says why, else it unmounts it (the legacy QEMU guest always checks that).
            if (result.Stdout.Contains("still mounted\n", StringComparison.Ordinal))
            {
                Assert.Contains($"left the private cgroup2 hierarchy at {PrivateCgroup2.MountPoint} mounted: other groups are in it", result.Stdout);
                Assert.DoesNotContain(daemon.CgroupName, result.Stdout.Split("other groups are in it")[1]);
            }
            else
            {
                Assert.Contains("exit 0\nunmounted\n", result.Stdout);
                Assert.Contains($"unmounted the private cgroup2 hierarchy at {PrivateCgroup2.MountPoint}", result.Stdout);
            }
        }
        finally
        {
            // The mount was private to the namespace; only the empty directories are left on the host.
            foreach (var directory in new[] { PrivateCgroup2.MountPoint, Path.GetDirectoryName(PrivateCgroup2.MountPoint)! })
            {
                try
                {
                    Directory.Delete(directory);
                }
                catch (IOException)
                {
                }
            }
        }
    }

    /// <summary>Where the private cgroup2 cannot be set up, the daemon exits 1 saying why, before it touches anything.</summary>
    [SystemFact]
    public async Task NoCgroup2_AndNoWayToMountOne_ExitsOneWithAOneLineReason()
    {
        await using var daemon = new TestDaemon();
        // A private mount namespace without cgroup2 and with a read-only /run.
        var script = "for m in $(awk '$3 == \"cgroup2\" {print $2}' /proc/self/mounts); do umount \"$m\" || exit 99; done; " +
                     $"mount -t tmpfs -o ro tmpfs /run && exec {Dist.Daemon} -c {daemon.ConfigPath}";
        var result = await Run.ProgramAsync("unshare", ["--mount", "--propagation", "private", "/bin/sh", "-c", script]);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"processmaster: no cgroup2 file system is mounted, and {PrivateCgroup2.MountPoint} cannot be created to mount one: " +
                     $"Read-only file system : '/run/processmaster'\n", result.Stderr);
    }

    [SystemFact]
    public async Task SecondDaemonOnTheSameSocket_IsRefused()
    {
        await using var first = new TestDaemon();
        await first.StartAsync();
        var second = await Run.ProgramAsync(Dist.Daemon, ["-c", first.ConfigPath], workingDirectory: first.Directory);
        Assert.Equal(1, second.ExitCode);
        Assert.Contains("another processmaster is already running", second.Stderr);
        Assert.False(first.HasExited);
        Assert.Equal(0, (await first.PmctlAsync("status")).ExitCode);
    }

    [SystemFact]
    public async Task TheDaemonsOwnLogAndEvents_AreNotReadableByEveryone()
    {
        await using var daemon = new TestDaemon();
        var events = Path.Combine(daemon.Directory, "state", "events.jsonl");
        Directory.CreateDirectory(Path.GetDirectoryName(events)!);
        await File.WriteAllTextAsync(events, "");
        File.SetUnixFileMode(events, (UnixFileMode)0x1A4); // 0644, as older versions left it
        await daemon.StartAsync();

        var readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;
        Assert.Equal(readable, File.GetUnixFileMode(events));
        Assert.Equal(readable, File.GetUnixFileMode(Path.Combine(daemon.Directory, "logs", "processmaster.log")));
    }
}

