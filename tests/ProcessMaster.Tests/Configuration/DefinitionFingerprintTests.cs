using System.Text;
using System.Text.Json.Nodes;
using ProcessMaster.Core.Configuration;

namespace ProcessMaster.Tests.Configuration;

public class DefinitionFingerprintTests
{
    private const string Base = """
        process:
          working_directory: /srv/web
          start_command: [/usr/bin/web, --port, "8080"]
          environment: [{name: TOKEN, value: secret}]
        resources:
          max_memory: 100m
        """;

    private static ServiceDefinition Definition(string yaml)
    {
        var (definition, errors) = ServiceDefinitionParserTests.Parse(yaml);
        Assert.Empty(errors);
        return definition!;
    }

    [Fact]
    public void TheSameDefinition_WrittenDifferently_HasTheSameFingerprint()
    {
        var reformatted = "# a comment\nresources: {max_memory: 100m}\nprocess:\n  working_directory: /srv/web\n  start_command: [/usr/bin/web, --port, '8080']\n  environment: [{name: TOKEN, value: secret}]\n  stop_signal: SIGTERM\n";
        Assert.Equal(DefinitionFingerprint.Of(Definition(Base)), DefinitionFingerprint.Of(Definition(reformatted)));
    }

    [Theory]
    [InlineData("process:\n  working_directory: /srv/web\n  start_command: [/usr/bin/web, --port, \"8081\"]\n  environment: [{name: TOKEN, value: secret}]\nresources:\n  max_memory: 100m\n")]
    [InlineData("process:\n  working_directory: /srv/web\n  start_command: [/usr/bin/web, --port, \"8080\"]\n  environment: [{name: TOKEN, value: other}]\nresources:\n  max_memory: 100m\n")]
    [InlineData("process:\n  working_directory: /srv/web\n  start_command: [/usr/bin/web, --port, \"8080\"]\n  environment: [{name: TOKEN, value: secret}]\nresources:\n  max_memory: 101m\n")]
    [InlineData("process:\n  working_directory: /srv/web\n  start_command: [/usr/bin/web, --port, \"8080\"]\n  environment: [{name: TOKEN, value: secret}]\n  stop_signal: SIGINT\nresources:\n  max_memory: 100m\n")]
    [InlineData("process:\n  working_directory: /srv/web\n  start_command: [/usr/bin/web, --port, \"8080\"]\n  environment: [{name: TOKEN, value: secret}]\nresources:\n  max_memory: 100m\nrestart_policy:\n  policy: always\n  restart_backoff_ms: 2000\n")]
    [InlineData("process:\n  working_directory: /srv/web\n  start_command: [/usr/bin/web, --port, \"8080\"]\n  environment: [{name: TOKEN, value: secret}]\nresources:\n  max_memory: 100m\nlogs:\n  rotation_backups: 3\n")]
    [InlineData("process:\n  working_directory: /srv/web\n  start_command: [/usr/bin/web, --port, \"8080\"]\n  environment: [{name: TOKEN, value: secret}]\nresources:\n  max_memory: 100m\nglobal:\n  enabled: false\n")]
    public void AnyChangedValue_ChangesTheFingerprint(string changed) =>
        Assert.NotEqual(DefinitionFingerprint.Of(Definition(Base)), DefinitionFingerprint.Of(Definition(changed)));

    /// <summary>
    /// The digest is what an upgraded daemon compares with the one its predecessor saved: it may not move
    /// between builds for the same definition (pinned), nor when the JSON metadata is let go after boot.
    /// </summary>
    [Fact]
    public void TheDigest_IsStable_AcrossBuildsAndAfterTheMetadataIsReleased()
    {
        const string pinned = "17FD012137DF1FCF96AAB37FC2CBFF1C";
        Assert.Equal(pinned, DefinitionFingerprint.Of(Definition(Base)));
        DefinitionFingerprint.ReleaseMetadata();
        Assert.Equal(pinned, DefinitionFingerprint.Of(Definition(Base)));
    }

    /// <summary>What a newer build does to a definition JSON: a member it adds, at its default, in the definition and the baseline alike.</summary>
    [Fact]
    public void AMemberANewerBuildAdds_AtItsDefault_LeavesTheDigestAsItWas()
    {
        var definition = JsonNode.Parse("""{"name":"web","process":{"start_command":["a"],"stop_signal":15},"enabled":true}""")!;
        var baseline = JsonNode.Parse("""{"name":"baseline","process":{"start_command":["baseline"],"stop_signal":15},"enabled":true}""")!;
        var before = Digest(definition, baseline);
        foreach (var node in new[] { definition, baseline })
        {
            node["depends_on"] = new JsonObject();
            node["process"]!["notify"] = false;
        }

        Assert.Equal(before, Digest(definition, baseline));
        definition["process"]!["notify"] = true; // set, it counts
        Assert.NotEqual(before, Digest(definition, baseline));
        definition["process"]!["notify"] = false;
        baseline["process"]!["stop_signal"] = 2; // a default that changed counts too
        Assert.NotEqual(before, Digest(definition, baseline));
    }

    private static string Digest(JsonNode definition, JsonNode baseline) =>
        DefinitionFingerprint.Digest(Encoding.UTF8.GetBytes(definition.ToJsonString()),
            DefinitionFingerprint.Leaves(Encoding.UTF8.GetBytes(baseline.ToJsonString())).ToDictionary(l => l.Path, l => l.Value));
}
