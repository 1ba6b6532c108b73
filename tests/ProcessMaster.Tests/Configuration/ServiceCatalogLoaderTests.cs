using ProcessMaster.Core.Configuration.Values;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Tests.Support;

namespace ProcessMaster.Tests.Configuration;

public sealed class ServiceCatalogLoaderTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>The master config exists, so whoever runs the tests may define anything, as its writer.</summary>
    private MasterConfig Master(bool configDirectory = true, bool autoDirectory = false) => new()
    {
        SourceFile = _dir.File("config.yaml", "# written by the test\n"),
        Cgroup = new CgroupSettings("/sys/fs/cgroup", true, "pm", null, null, CpuMax.Unlimited, null, true),
        UnixSocket = new UnixSocketSettings("/tmp/x.sock", null, null, 0x180),
        Global = new GlobalSettings(
            configDirectory ? Path.Combine(_dir.Path, "config.d") : null,
            autoDirectory ? Path.Combine(_dir.Path, "auto") : null,
            "app", "app"),
        WebConsole = new WebConsoleSettings(false, System.Net.IPAddress.Loopback, 9001, false, new TlsSettings(false, null, null, null, null, false), [], true),
        Metrics = new MetricsSettings(false, System.Net.IPAddress.Loopback, MetricsSettings.DefaultPort, false, new TlsSettings(false, null, null, null, null, false)),
        AdminActions = EquatableArray<AdminActionDefinition>.Empty,
    };

    private ServiceCatalog Load(bool readOnly = false, bool auto = false) =>
        new ServiceCatalogLoader(Master(autoDirectory: auto), FakeUserDatabase.Instance, readOnly, TimeZoneInfo.Utc).Load();

    private string Service(string workdir = "") =>
        $"process:\n  working_directory: {(workdir.Length > 0 ? workdir : _dir.Dir("work"))}\n";

    [Fact]
    public void Load_ReadsYmlAndYamlFilesCaseInsensitively_AndIgnoresOthers()
    {
        _dir.File("config.d/a.yaml", Service());
        _dir.File("config.d/b.YmL", Service());
        _dir.File("config.d/c.txt", Service());
        _dir.File("config.d/d.yaml.bak", Service());
        var catalog = Load();
        Assert.Empty(catalog.Problems);
        Assert.Equal(["a", "b"], catalog.Services.Select(s => s.Name));
    }

    [Fact]
    public void Load_OneBadFile_DoesNotStopTheOthers()
    {
        _dir.File("config.d/good.yaml", Service());
        _dir.File("config.d/bad.yaml", "application: broken\nprocess:\n  wrking_directory: /w\n");
        var catalog = Load();
        Assert.Equal(["good"], catalog.Services.Select(s => s.Name));
        Assert.Contains(catalog.Problems, p => p.File.EndsWith("bad.yaml") && p.Key == "process.wrking_directory");
        Assert.Contains("broken", catalog.FailedNames);
    }

    [Fact]
    public void Load_MissingWorkingDirectory_IsAProblem()
    {
        _dir.File("config.d/x.yaml", Service("/nonexistent/dir"));
        var catalog = Load();
        Assert.Empty(catalog.Services);
        Assert.Contains(catalog.Problems, p => p.Message.Contains("/nonexistent/dir does not exist"));
    }

    [Fact]
    public void Load_WorkingDirectoryCreatedByProvisioning_IsAccepted()
    {
        var work = Path.Combine(_dir.Path, "not-yet");
        _dir.File("config.d/x.yaml", $"process:\n  working_directory: {work}\nprovisioning:\n  - path: .\n    mode: \"0750\"\n");
        Assert.Single(Load().Services);
    }

    [Fact]
    public void Load_DuplicateNames_LoadNeither()
    {
        _dir.File("config.d/one.yaml", "application: same\n" + Service());
        _dir.File("config.d/two.yaml", "application: same\n" + Service());
        var catalog = Load();
        Assert.Empty(catalog.Services);
        Assert.Equal(2, catalog.Problems.Count(p => p.Message.Contains("defined more than once")));
        Assert.Contains("same", catalog.FailedNames);
    }

    [Fact]
    public void Load_MissingConfigDirectory_IsAWarningAndAutoServicesStillLoad()
    {
        _dir.Dir("auto/svc");
        var catalog = new ServiceCatalogLoader(Master(autoDirectory: true), FakeUserDatabase.Instance, false, TimeZoneInfo.Utc).Load();
        Assert.Null(catalog.Fatal);
        Assert.Contains(catalog.Warnings, w => w.StartsWith("config_directory_missing"));
        Assert.Equal(["svc"], catalog.Services.Select(s => s.Name));
    }

    [Fact]
    public void Load_AutoServices_SkipsDisabledAndHiddenDirectories_AndPrefersServiceYml()
    {
        _dir.Dir("config.d");
        _dir.File("auto/one/service.yml", "process:\n  start_command: [\"./a\"]\n");
        _dir.File("auto/one/service.yaml", "process:\n  start_command: [\"./b\"]\n");
        _dir.File("auto/two/service.yaml", "process:\n  start_command: [\"./c\"]\n");
        _dir.Dir("auto/three.disabled");
        _dir.Dir("auto/.git");
        var catalog = Load(auto: true);
        Assert.Empty(catalog.Problems);
        Assert.Equal(["one", "two"], catalog.Services.Select(s => s.Name));
        Assert.Equal(["./a"], catalog.Services[0].Process.StartCommand);
        Assert.Equal(["./c"], catalog.Services[1].Process.StartCommand);
        Assert.Equal(Path.Combine(_dir.Path, "auto", "one"), catalog.Services[0].WorkingDirectory);
    }

    [Fact]
    public void Load_AutoServiceWithoutFile_GetsAGeneratedServiceYmlThatLoads()
    {
        _dir.Dir("config.d");
        var dir = _dir.Dir("auto/fresh");
        var catalog = Load(auto: true);
        var service = Assert.Single(catalog.Services);
        var generated = Path.Combine(dir, "service.yml");
        Assert.True(File.Exists(generated));
        Assert.Equal(generated, service.SourceFile);
        Assert.Equal(["./run.sh"], service.Process.StartCommand);
        Assert.Equal("app", service.Process.User);
        Assert.Equal(dir, service.WorkingDirectory);
        Assert.Equal(ResourceSettings.Unlimited, service.Resources);
        Assert.Contains(catalog.Warnings, w => w.StartsWith("auto_service_generated app=fresh"));
    }

    [Fact]
    public void Load_ReadOnly_WritesNothingForAutoServices()
    {
        _dir.Dir("config.d");
        var dir = _dir.Dir("auto/fresh");
        _dir.File("auto/regen/service.yml", "process: {}\n");
        _dir.File("auto/regen/.regen_pm_config", "");
        var catalog = Load(readOnly: true, auto: true);
        Assert.Equal(["fresh", "regen"], catalog.Services.Select(s => s.Name));
        Assert.Null(catalog.Services[0].SourceFile);
        Assert.False(File.Exists(Path.Combine(dir, "service.yml")));
        Assert.True(File.Exists(Path.Combine(_dir.Path, "auto/regen/.regen_pm_config")));
        Assert.False(File.Exists(Path.Combine(_dir.Path, "auto/regen/service.yml.bak")));
    }

    [Fact]
    public void Load_RegenMarker_BacksUpRewritesAndRemovesTheMarker()
    {
        _dir.Dir("config.d");
        _dir.File("auto/app/service.yml", "process:\n  start_command: [\"./custom\"]\n");
        _dir.File("auto/app/service.yml.bak", "older backup");
        _dir.File("auto/app/.regen_pm_config", "");
        var catalog = Load(auto: true);
        var service = Assert.Single(catalog.Services);
        Assert.Equal(["./run.sh"], service.Process.StartCommand);
        Assert.Equal("process:\n  start_command: [\"./custom\"]\n", File.ReadAllText(Path.Combine(_dir.Path, "auto/app/service.yml.bak.1")));
        Assert.Equal("older backup", File.ReadAllText(Path.Combine(_dir.Path, "auto/app/service.yml.bak")));
        Assert.False(File.Exists(Path.Combine(_dir.Path, "auto/app/.regen_pm_config")));
        Assert.Contains(catalog.Warnings, w => w.StartsWith("auto_service_regen_written app=app"));
    }

    [Fact]
    public void Load_NameCollisionBetweenDirectories_IsFatal()
    {
        _dir.File("config.d/dup.yaml", Service());
        _dir.Dir("auto/dup");
        var catalog = Load(auto: true);
        Assert.NotNull(catalog.Fatal);
        Assert.Contains("already defined in config_directory", catalog.Fatal!.Message);
        Assert.Empty(catalog.Services);
    }

    [Fact]
    public void Load_OversizedFile_IsAProblem()
    {
        _dir.File("config.d/huge.yaml", "# " + new string('x', ServiceCatalogLoader.MaxFileBytes));
        Assert.Contains(Load().Problems, p => p.Message.Contains("larger than"));
    }

    [Fact]
    public void Template_RendersAValidDefinitionForAnyName()
    {
        var text = AutoServiceTemplate.Render("my.app-1", "root", "root");
        var (definition, errors) = ServiceDefinitionParserTests.Parse(text, derivedName: "my.app-1", autoDirectory: "/srv/auto");
        Assert.Empty(errors);
        Assert.Equal("my.app-1", definition!.Name);
        Assert.Equal(RestartSettings.Default, definition.Restart);
    }
}
