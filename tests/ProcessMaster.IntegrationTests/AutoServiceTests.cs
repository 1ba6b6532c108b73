using ProcessMaster.IntegrationTests.Support;

namespace ProcessMaster.IntegrationTests;

/// <summary>Auto-services: one per directory, generated service.yml, rescanned on update, .regen_pm_config.</summary>
public class AutoServiceTests
{
    [SystemFact]
    public async Task DirectoriesBecomeServices_GeneratedAndRegeneratedOnUpdate()
    {
        await using var daemon = new TestDaemon("  auto_service_directory: ./auto");
        var auto = Path.Combine(daemon.Directory, "auto");
        var first = MakeService(auto, "first");
        Directory.CreateDirectory(Path.Combine(auto, "parked.disabled"));
        await daemon.StartAsync();
        await daemon.WaitForStateAsync("first", "RUNNING");
        Assert.True(File.Exists(Path.Combine(first, "service.yml")));
        Assert.Contains("hello from first", File.ReadAllText(Path.Combine(first, "logs", "stdout.log")));
        Assert.DoesNotContain("parked", await daemon.PmctlOkAsync("status"));

        var second = MakeService(auto, "second");
        var update = await daemon.PmctlOkAsync("update");
        Assert.Contains("added: second", update);
        await daemon.WaitForStateAsync("second", "RUNNING");

        File.WriteAllText(Path.Combine(first, "service.yml"), File.ReadAllText(Path.Combine(first, "service.yml")).Replace("max_restarts: 3", "max_restarts: 7"));
        File.WriteAllText(Path.Combine(first, ".regen_pm_config"), "");
        await daemon.PmctlOkAsync("update");
        Assert.Contains("max_restarts: 7", File.ReadAllText(Path.Combine(first, "service.yml.bak")));
        Assert.Contains("max_restarts: 3", File.ReadAllText(Path.Combine(first, "service.yml")));
        Assert.False(File.Exists(Path.Combine(first, ".regen_pm_config")));
    }

    [SystemFact]
    public async Task NameCollisionWithConfigDirectory_StopsTheDaemonAtBoot()
    {
        await using var daemon = new TestDaemon("  auto_service_directory: ./auto");
        MakeService(Path.Combine(daemon.Directory, "auto"), "dup");
        daemon.AddShellService("dup", "exec sleep 1000");
        await daemon.StartAsync(waitReady: false);
        Assert.Equal(1, await daemon.ExitedAsync());
        Assert.Contains("application 'dup' is already defined in config_directory", daemon.Output);
    }

    private static string MakeService(string auto, string name)
    {
        var dir = Directory.CreateDirectory(Path.Combine(auto, name)).FullName;
        File.SetUnixFileMode(auto, (UnixFileMode)0x1ED);
        File.WriteAllText(Path.Combine(dir, "run.sh"), $"#!/bin/sh\necho hello from {name}\nexec sleep 1000\n");
        File.SetUnixFileMode(Path.Combine(dir, "run.sh"), (UnixFileMode)0x1ED);
        return dir;
    }
}
