using ProcessMaster.Core.Configuration.Values;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Files;
using ProcessMaster.Tests.Support;

namespace ProcessMaster.Tests.Configuration;

/// <summary>
/// A definition is trusted only as much as the people who can change its file: a service's user who
/// owns an auto-service directory defines that user's service, and nothing that runs as root.
/// These tests give files away (chown), so they only run as root, as ./test.sh does.
/// </summary>
public sealed class DefinitionTrustTests : IDisposable
{
    private const uint App = 1000; // "app" in the fake user database

    private readonly TempDirectory _dir = new();

    public DefinitionTrustTests() => File.SetUnixFileMode(_dir.Path, (UnixFileMode)0x1ED);

    public void Dispose() => _dir.Dispose();

    private static bool Root => HostileFiles.IsRoot;

    private ServiceCatalog Load(bool readOnly = false) => new ServiceCatalogLoader(new MasterConfig
    {
        SourceFile = _dir.File("config.yaml", "# root's\n"),
        Cgroup = new CgroupSettings("/sys/fs/cgroup", true, "pm", null, null, CpuMax.Unlimited, null, true),
        UnixSocket = new UnixSocketSettings("/tmp/x.sock", null, null, 0x180),
        Global = new GlobalSettings(Path.Combine(_dir.Path, "config.d"), Path.Combine(_dir.Path, "auto"), "root", "root"),
        WebConsole = new WebConsoleSettings(false, System.Net.IPAddress.Loopback, 9001, false, new TlsSettings(false, null, null, null, null, false), [], true),
        Metrics = new MetricsSettings(false, System.Net.IPAddress.Loopback, MetricsSettings.DefaultPort, false, new TlsSettings(false, null, null, null, null, false)),
        AdminActions = EquatableArray<AdminActionDefinition>.Empty,
    }, FakeUserDatabase.Instance, readOnly, TimeZoneInfo.Utc).Load();

    /// <summary>An auto-service directory that belongs to the app user.</summary>
    private string AppDirectory(string name, string? serviceYml = null)
    {
        var directory = _dir.Dir($"auto/{name}");
        _dir.Dir("config.d");
        if (serviceYml is not null)
        {
            File.WriteAllText(Path.Combine(directory, "service.yml"), serviceYml);
            Chown(Path.Combine(directory, "service.yml"), App);
        }

        Chown(directory, App);
        return directory;
    }

    private static void Chown(string path, uint uid) => Assert.Equal(0, Core.Interop.Libc.Chown(path, uid, uid));

    [Fact]
    public void AnAutoServiceDirectoryOwnedByAUser_GetsAGeneratedDefinitionRunningAsThatUser()
    {
        if (!Root)
        {
            return;
        }

        var directory = AppDirectory("web");
        var catalog = Load();

        Assert.Empty(catalog.Problems);
        Assert.Equal("app", Assert.Single(catalog.Services).Process.User);
        Assert.Contains("user: \"app\"", File.ReadAllText(Path.Combine(directory, "service.yml")));
    }

    [Fact]
    public void AServiceFileItsUserCanChange_CannotRunAsRoot_NorProvision_NorReachOutside()
    {
        if (!Root)
        {
            return;
        }

        AppDirectory("web", """
            process:
              working_directory: .
              start_command: ["./run.sh"]
              user: root
              inherit_environment: true
              environment_file: [./own.env, /etc/processmaster/secrets.env]
            logs:
              stdout: /etc/cron.d/evil
            provisioning:
              - path: /etc
                ownership:
                  owner: app
            resources:
              io_bandwidth:
                - {device: /dev/shm/link-to-a-root-only-path, max_read_iops: 100}
            """);
        var catalog = Load();

        Assert.Empty(catalog.Services);
        var keys = catalog.Problems.Select(p => p.Key).ToHashSet();
        Assert.Contains("resources.io_bandwidth", keys);
        Assert.Contains("process.user", keys);
        Assert.Contains("process.inherit_environment", keys);
        Assert.Contains("provisioning", keys);
        Assert.Contains("logs.stdout", keys);
        Assert.Single(catalog.Problems, p => p.Key == "process.environment_file" && p.Message.Contains("/etc/processmaster/secrets.env", StringComparison.Ordinal));
        Assert.All(catalog.Problems.Where(p => p.Key == "process.user"), p => Assert.Contains("can be changed by app (uid 1000)", p.Message));
    }

    [Fact]
    public void AServiceFileItsUserCanChange_CannotHaveTheDaemonReadAnotherUsersFile()
    {
        if (!Root)
        {
            return;
        }

        var secret = _dir.File("secret", "root's\n");
        AppDirectory("web", $"process:\n  working_directory: .\n  environment:\n    - name: KEY\n      value: \"@file://{secret}\"\n");
        var catalog = Load();
        Assert.Empty(catalog.Services);
        Assert.Contains(catalog.Problems, p => p.Message.Contains($"@file://{secret}: not owned by uid {App}"));
    }

    [Fact]
    public void AServiceFileItsUserCanChange_RunsAsThatUserInItsOwnDirectory()
    {
        if (!Root)
        {
            return;
        }

        var directory = AppDirectory("web", "process:\n  working_directory: .\n  start_command: [\"./run.sh\"]\n  user: \"1000\"\n  group: extra\n" +
            "resources:\n  io_bandwidth:\n    - {device: \"254:0\", max_read_iops: 100}\n");
        var catalog = Load();
        Assert.Empty(catalog.Problems);
        var service = Assert.Single(catalog.Services);
        Assert.Equal("1000", service.Process.User); // app, by uid
        Assert.Equal(directory, service.WorkingDirectory);
    }

    [Fact]
    public void AServiceFileALinkLeadsFrom_IsNotRead_WhenAUserCouldHavePlacedTheLink()
    {
        if (!Root)
        {
            return;
        }

        var shadow = _dir.File("shadow", "root:$6$secret-hash:19000::::::\n");
        var directory = AppDirectory("web");
        File.CreateSymbolicLink(Path.Combine(directory, "service.yml"), shadow);
        var catalog = Load();

        Assert.Empty(catalog.Services);
        Assert.Contains(catalog.Problems, p => p.Message.Contains("is a symbolic link"));
        Assert.DoesNotContain(catalog.Problems, p => p.ToString().Contains("secret-hash"));
    }

    [Fact]
    public void AFileAGroupCanChange_IsNotLoaded()
    {
        var configDirectory = _dir.Dir("config.d");
        File.SetUnixFileMode(configDirectory, (UnixFileMode)0x1FD); // 0775
        _dir.File("config.d/web.yaml", $"process:\n  working_directory: {_dir.Dir("work")}\n");
        var catalog = Load();

        Assert.Empty(catalog.Services);
        Assert.Contains(catalog.Problems, p => p.Message.Contains("can be changed by group") && p.Message.Contains("not loaded"));
    }

    [Fact]
    public void Writers_OfAPath_CountEveryDirectoryOnTheWay_ButAStickyOneOnlyForItsOwner()
    {
        var sticky = _dir.Dir("tmp");
        File.SetUnixFileMode(sticky, (UnixFileMode)0x3FF); // 1777, like /tmp
        var inner = _dir.Dir("tmp/inner");
        File.SetUnixFileMode(inner, (UnixFileMode)0x1ED);
        var file = _dir.File("tmp/inner/web.yaml", "");
        File.SetUnixFileMode(file, (UnixFileMode)0x1A4);
        Assert.False(Writers.OfPath(file).Everyone);

        File.SetUnixFileMode(inner, (UnixFileMode)0x1FF); // 0777
        Assert.True(Writers.OfPath(file).Everyone);
    }
}
