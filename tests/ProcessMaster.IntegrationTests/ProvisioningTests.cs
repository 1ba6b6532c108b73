using ProcessMaster.IntegrationTests.Support;

namespace ProcessMaster.IntegrationTests;

/// <summary>One-time root setup at definition load, guarded by .pm_provisioned.</summary>
public class ProvisioningTests
{
    [SystemFact]
    public async Task Provisioning_SetsOwnerModeAndCapability_AndWritesTheMarkerOnlyOnSuccess()
    {
        await using var daemon = new TestDaemon();
        var wd = daemon.WorkDir("caddy");
        var binary = ServerBinary(wd);
        Directory.CreateDirectory(Path.Combine(wd, "data", "deep"));
        File.WriteAllText(Path.Combine(wd, "data", "deep", "file"), "x");
        daemon.AddService("caddy", """
            process:
              working_directory: {wd}
              start_command: ["./bin/server", "1000"]
            provisioning:
              - path: ./data
                ownership: {owner: nobody, group: nogroup, recursive: true}
                mode: "0750"
              - path: ./bin/server
                mode: "0755"
                add_net_bind_capability: true
              - path: ./cache
                mode: "0700"
            """);
        await daemon.StartAsync();
        await daemon.WaitForStateAsync("caddy", "RUNNING");

        var data = new DirectoryInfo(Path.Combine(wd, "data"));
        Assert.Equal((UnixFileMode)0x1E8, data.UnixFileMode); // 0750
        Assert.Equal("nobody nogroup", (await Run.ShellAsync($"stat -c '%U %G' {data.FullName}/deep/file")).Stdout.Trim());
        Assert.Equal((UnixFileMode)0x1C0, new DirectoryInfo(Path.Combine(wd, "cache")).UnixFileMode); // created, 0700
        var capability = await Run.ProgramAsync("getcap", [binary]);
        Assert.Contains("cap_net_bind_service=ep", capability.Stdout);
        Assert.StartsWith("provisioned_at_ms=", File.ReadAllText(Path.Combine(wd, ".pm_provisioned")));
        var status = await daemon.StatusAsync("caddy");
        Assert.True(status.ProvisioningDefined);
        Assert.True(status.ProvisioningMarkerExists);
        Assert.Equal(Path.Combine(wd, ".pm_provisioned"), status.ProvisioningMarker);
    }

    /// <summary>
    /// A chown drops a file's capability: entries written with the capability first and a recursive chown of
    /// the whole directory after it still end with both, because ownership is applied before capabilities.
    /// </summary>
    [SystemFact]
    public async Task ACapabilityListedBeforeARecursiveChown_Survives_AndTheResultIsWhatWasAskedFor()
    {
        await using var daemon = new TestDaemon();
        var wd = daemon.WorkDir("web");
        var binary = ServerBinary(wd);
        daemon.AddService("web", """
            process:
              working_directory: {wd}
              start_command: ["./bin/server", "1000"]
            provisioning:
              - path: ./bin/server
                mode: "4755"
                add_net_bind_capability: true
              - path: ./bin
                ownership: {owner: root, group: root}
              - path: .
                ownership: {owner: nobody, group: nogroup, recursive: true}
            """);
        await daemon.StartAsync();
        await daemon.WaitForStateAsync("web", "RUNNING");

        Assert.Contains("cap_net_bind_service=ep", (await Run.ProgramAsync("getcap", [binary])).Stdout);
        // The nearer entry wins over the recursive one; the setuid bit a chown clears was set after it.
        Assert.Equal("nobody nogroup 4755", (await Run.ShellAsync($"stat -c '%U %G %a' {binary}")).Stdout.Trim());
        Assert.Equal("root root", (await Run.ShellAsync($"stat -c '%U %G' {wd}/bin")).Stdout.Trim());
        Assert.True(File.Exists(Path.Combine(wd, ".pm_provisioned")));
    }

    [SystemFact]
    public async Task FailedProvisioning_DoesNotLoadTheService_AndAFixedUpdateAppliesIt()
    {
        await using var daemon = new TestDaemon();
        var wd = daemon.WorkDir("app");
        daemon.AddService("app", """
            process:
              working_directory: {wd}
              start_command: ["/bin/sleep", "1000"]
            provisioning:
              - path: ./missing-binary
                add_net_bind_capability: true
            """);
        daemon.AddShellService("other", "exec sleep 1000");
        await daemon.StartAsync();
        Assert.DoesNotContain("app", (await daemon.PmctlOkAsync("status")).Split('\n').Select(l => l.Split(' ')[0]));
        Assert.Contains((await daemon.EventsAsync()).OfKind("definition_not_admitted").Where(e => e.App == "app"),
            e => e.Field("reason")!.Contains("provisioning " + Path.Combine(wd, "missing-binary") + ": does not exist", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(wd, ".pm_provisioned")));

        File.Copy("/bin/true", Path.Combine(wd, "missing-binary"));
        var update = await daemon.PmctlOkAsync("update");
        Assert.Contains("added: app", update);
        await daemon.WaitForStateAsync("app", "RUNNING");
        Assert.True(File.Exists(Path.Combine(wd, ".pm_provisioned")));
    }

    [SystemFact]
    public async Task DeletingTheMarker_AndUpdating_AppliesProvisioningAgain()
    {
        await using var daemon = new TestDaemon();
        var wd = daemon.WorkDir("svc");
        daemon.AddService("svc", "process:\n  working_directory: {wd}\n  start_command: [\"/bin/sleep\", \"1000\"]\nprovisioning:\n  - path: ./data\n    mode: \"0700\"\n");
        await daemon.StartAsync();
        var data = Path.Combine(wd, "data");
        File.SetUnixFileMode(data, (UnixFileMode)0x1FF);
        await daemon.PmctlOkAsync("update");
        Assert.Equal((UnixFileMode)0x1FF, File.GetUnixFileMode(data)); // the marker guards it

        File.Delete(Path.Combine(wd, ".pm_provisioned"));
        await daemon.PmctlOkAsync("update");
        Assert.Equal((UnixFileMode)0x1C0, File.GetUnixFileMode(data));
        Assert.True(File.Exists(Path.Combine(wd, ".pm_provisioned")));
    }

    [SystemFact]
    public async Task SymlinkedTarget_IsRefused()
    {
        await using var daemon = new TestDaemon();
        var wd = daemon.WorkDir("svc");
        var outside = Directory.CreateDirectory(Path.Combine(daemon.Directory, "outside")).FullName;
        File.CreateSymbolicLink(Path.Combine(wd, "link"), outside);
        daemon.AddService("svc", "process:\n  working_directory: {wd}\n  start_command: [\"/bin/sleep\", \"1000\"]\nprovisioning:\n  - path: ./link\n    mode: \"0777\"\n");
        await daemon.StartAsync();
        Assert.Contains((await daemon.EventsAsync()).OfKind("definition_not_admitted").Where(e => e.App == "svc"),
            e => e.Field("reason")!.Contains("is a symbolic link; refusing to provision through it", StringComparison.Ordinal));
        Assert.NotEqual((UnixFileMode)0x1FF, File.GetUnixFileMode(outside));
    }

    /// <summary>A copy of sleep at <c>bin/server</c> in <paramref name="wd"/>: an executable to give a capability.</summary>
    private static string ServerBinary(string wd)
    {
        var binary = Path.Combine(wd, "bin", "server");
        Directory.CreateDirectory(Path.GetDirectoryName(binary)!);
        File.Copy("/bin/sleep", binary);
        return binary;
    }
}
