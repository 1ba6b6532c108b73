using ProcessMaster.IntegrationTests.Support;

namespace ProcessMaster.IntegrationTests;

/// <summary>
/// The daemon started with descriptors of root-only files open (a shell's <c>7&lt;/root/r 8&gt;&gt;/root/w</c>): no
/// process it starts for a service (main, exec probe, stop command) gets them (issue 41, item 2).
/// </summary>
public class LeakedDescriptorTests
{
    private const string Canary = "CANARY-root-only-7c21";

    /// <summary>A shell line that writes the descriptors above 2 its shell holds (3 to 40) to <paramref name="file"/>.</summary>
    /// <remarks>Renamed into place: a probe runs again and again, and a file read while it is rewritten would be empty.</remarks>
    private static string ListDescriptors(string file) =>
        $"l=; for fd in {string.Join(' ', Enumerable.Range(3, 38))}; do [ -e /proc/$$/fd/$fd ] && l=\"$l $fd\"; done; echo \"fds:$l\" > {file}.$$; mv {file}.$$ {file}";

    /// <summary>What a process of the service tries with descriptors 7 and 8 if it has them.</summary>
    private static string Attack(string who) => $"cat <&7 > read-by-{who} 2>/dev/null; echo written-by-{who} >&8 2>/dev/null";

    [SystemFact]
    public async Task DescriptorsTheDaemonWasStartedWith_ReachNoServiceProbeOrStopCommand()
    {
        var rootOnly = Directory.CreateTempSubdirectory("pmtest-fds-").FullName; // 0700, root's
        try
        {
            await RunAsync(rootOnly);
        }
        finally
        {
            Directory.Delete(rootOnly, recursive: true);
        }
    }

    private static async Task RunAsync(string rootOnly)
    {
        var secret = Path.Combine(rootOnly, "r");
        var target = Path.Combine(rootOnly, "w");
        File.WriteAllText(secret, Canary + "\n");
        File.WriteAllText(target, "");
        var launch = Path.Combine(rootOnly, "launch.sh");
        File.WriteAllText(launch, $"#!/bin/sh\nexec 7<{secret} 8>>{target}\nexec {Dist.Daemon} \"$@\"\n");
        File.SetUnixFileMode(launch, (UnixFileMode)0x1C0);
        await using var daemon = new TestDaemon { Executable = launch };

        var wd = daemon.WorkDir("svc");
        Assert.Equal(0, (await Run.ProgramAsync("chown", ["nobody", wd])).ExitCode);
        daemon.AddService("svc", $$"""
            process:
              working_directory: {wd}
              start_command: ["/bin/sh", "-c", {{System.Text.Json.JsonSerializer.Serialize(Attack("service") + "; exec sleep 100000")}}]
              stop_command: ["/bin/sh", "-c", {{System.Text.Json.JsonSerializer.Serialize(Attack("stop") + "; " + ListDescriptors("stop-fds"))}}]
              stop_grace_period_ms: 500
              user: nobody
            readiness_probe:
              exec: {command: ["/bin/sh", "-c", {{System.Text.Json.JsonSerializer.Serialize(Attack("probe") + "; " + ListDescriptors("probe-fds"))}}]}
              period: 300ms
              timeout: 300ms
            """);
        await daemon.StartAsync();
        Assert.Equal(["7", "8"], Directory.GetFiles($"/proc/{daemon.Pid}/fd").Select(Path.GetFileName).Intersect(["7", "8"]).Order());

        var running = await daemon.WaitForStateAsync("svc", "RUNNING");
        await Eventually.TrueAsync(() => File.Exists(Path.Combine(wd, "probe-fds")), TimeSpan.FromSeconds(20), "the probe to run");
        await Eventually.TrueAsync(() => ProcessTable.CommandLine(running.MainPid!.Value) == "sleep 100000", TimeSpan.FromSeconds(20), "the attack to be over");
        Assert.Equal(["0", "1", "2"], Directory.GetFiles($"/proc/{running.MainPid}/fd").Select(Path.GetFileName).Order());
        Assert.Equal("fds:", File.ReadAllText(Path.Combine(wd, "probe-fds")).Trim());

        Assert.Contains("svc: stopped", await daemon.PmctlOkAsync("stop", "svc"));
        Assert.Equal("fds:", File.ReadAllText(Path.Combine(wd, "stop-fds")).Trim());

        Assert.Equal("", File.ReadAllText(target));
        foreach (var who in new[] { "service", "probe", "stop" })
        {
            var read = Path.Combine(wd, $"read-by-{who}");
            Assert.False(File.Exists(read) && File.ReadAllText(read).Contains(Canary, StringComparison.Ordinal), $"the {who} read the root-only file");
        }
    }
}
