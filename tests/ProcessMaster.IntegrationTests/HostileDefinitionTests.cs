using ProcessMaster.IntegrationTests.Support;
using ProcessMaster.Tests.Support;

namespace ProcessMaster.IntegrationTests;

/// <summary>
/// Definition files that once crashed, froze or stopped the daemon: a YAML shape the parser throws on,
/// 100,000 nested brackets, a FIFO named like a service file. Each is one file's problem: boot, reload
/// and --check-config carry on with the others and print reasons, never a stack trace.
/// </summary>
public class HostileDefinitionTests
{
    private static void AddHostileFiles(TestDaemon daemon)
    {
        File.WriteAllText(Path.Combine(daemon.ConfigDirectory, "throws.yaml"), "process: [a\nb: c\n");
        File.WriteAllText(Path.Combine(daemon.ConfigDirectory, "deep.yaml"), "process: " + new string('[', 100_000) + "\n");
        HostileFiles.Fifo(Path.Combine(daemon.ConfigDirectory, "fifo.yaml"));
    }

    [SystemFact]
    public async Task BadFiles_NeitherStopBootNorAReload_AndEachIsReported()
    {
        await using var daemon = new TestDaemon();
        daemon.AddShellService("good", "exec sleep 100000");
        AddHostileFiles(daemon);
        await daemon.StartAsync();

        await daemon.WaitForStateAsync("good", "RUNNING");
        var rejected = (await daemon.EventsAsync(n: 100)).OfKind("definition_rejected").ToList();
        Assert.Contains(rejected, e => e.Field("file")!.EndsWith("throws.yaml", StringComparison.Ordinal) && e.Field("line") == "1");
        Assert.Contains(rejected, e => e.Field("file")!.EndsWith("deep.yaml", StringComparison.Ordinal) && e.Field("line") == "1"
            && e.Field("message")!.Contains("nested deeper than 64 levels", StringComparison.Ordinal));
        Assert.Contains(rejected, e => e.Field("file")!.EndsWith("fifo.yaml", StringComparison.Ordinal) && e.Field("line") == "0" && e.Field("message") == "not a regular file");

        daemon.AddShellService("added", "exec sleep 100000");
        var update = await daemon.PmctlAsync("update");
        Assert.Contains("added: added", update.Stdout);
        await daemon.WaitForStateAsync("added", "RUNNING");
        Assert.Equal("RUNNING", (await daemon.StatusAsync("good")).State);
        Assert.False(daemon.HasExited);
    }

    [SystemFact]
    public async Task CheckConfig_OnBadFiles_PrintsReasonsNotAStackTrace()
    {
        await using var daemon = new TestDaemon();
        daemon.AddShellService("good", "exec sleep 100000");
        AddHostileFiles(daemon);

        var result = await Run.ProgramAsync(Dist.Daemon, ["--check-config", "-c", daemon.ConfigPath], TimeSpan.FromSeconds(30));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("3 problems; 1 definition would load", result.Stdout);
        Assert.DoesNotContain("   at ", result.Stdout + result.Stderr);
        Assert.DoesNotContain("Exception", result.Stdout + result.Stderr);
    }
}
