using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Processes;
using ProcessMaster.Tests.Support;

namespace ProcessMaster.Tests.Configuration;

/// <summary>Every example the repository ships must load cleanly on this machine.</summary>
public class ShippedExamplesTests
{
    [Theory]
    [InlineData("config.yaml", new[] { "sleeper", "web" })]
    [InlineData("config.full.yaml", new[] { "hello", "sleeper", "web" })]
    [InlineData("config.dependencies.yaml", new[] { "db", "migrate", "web", "worker" })]
    public void MasterConfig_LoadsWithEveryServiceAndNoProblem(string file, string[] services)
    {
        var master = MasterConfigLoader.Load(Path.Combine(RepositoryPaths.Examples, file), SystemUserDatabase.Instance);
        var catalog = new ServiceCatalogLoader(master, SystemUserDatabase.Instance, readOnly: true).Load();
        Assert.Null(catalog.Fatal);
        Assert.Empty(catalog.Problems);
        Assert.Empty(catalog.Warnings);
        Assert.Equal(services, catalog.Services.Select(s => s.Name));
    }

    [Fact]
    public void FullServiceExample_ParsesWithEverySectionSet()
    {
        var file = Path.Combine(RepositoryPaths.Examples, "service.full.yaml");
        var errors = new ConfigErrorCollector();
        var context = new ServiceParseContext(file, "service", null, SystemUserDatabase.Instance,
            Core.Configuration.Values.EnvironmentValue.ReadFile, TimeZoneInfo.Local);
        var definition = ServiceDefinitionParser.Parse(File.ReadAllText(file), context, errors);
        Assert.Empty(errors.Errors);
        Assert.Equal("full-example", definition!.Name);
        Assert.NotEqual(ResourceSettings.Unlimited, definition.Resources);
        Assert.Equal(100, definition.Resources.IoWeight);
        Assert.Equal("/dev/vda", Assert.Single(definition.Resources.IoBandwidth).Device);
        Assert.Single(definition.Provisioning);
        Assert.Equal(3, definition.Process.Environment.Count);
        Assert.Single(definition.Process.EnvironmentFiles);
    }

    [Fact]
    public void GeneratedAutoServiceFile_IsWhatTheTemplateRenders()
    {
        var dir = Path.Combine(RepositoryPaths.Examples, "auto_services", "hello");
        var master = MasterConfigLoader.Load(Path.Combine(RepositoryPaths.Examples, "config.full.yaml"), SystemUserDatabase.Instance);
        var expected = AutoServiceTemplate.Render("hello", master.Global.DefaultServiceUser, master.Global.DefaultServiceGroup);
        Assert.Equal(expected, File.ReadAllText(Path.Combine(dir, "service.yml")));
    }
}
