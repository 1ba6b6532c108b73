using CsCheck;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Configuration.Yaml;

namespace ProcessMaster.Tests.Configuration;

/// <summary>Definition files are input: whatever they hold is an error of that file, never an exception, a hang or a crash.</summary>
public class HostileYamlTests
{
    private const string Valid = "process:\n  working_directory: /srv/web\n  start_command: [/bin/sleep, '100']\nlogs:\n  stdout: out.log\n";

    [Fact]
    public void AnUnclosedFlowSequence_IsAnErrorOfTheFile_WithItsPosition()
    {
        var (definition, errors) = ServiceDefinitionParserTests.Parse("process: [a\nb: c\n");
        Assert.Null(definition);
        var error = Assert.Single(errors);
        Assert.Equal(1, error.Line);
        Assert.Contains("not valid YAML", error.Message);
    }

    [Theory]
    [InlineData("process: ", "[", 100_000)]
    [InlineData("process: ", "{a: ", 50_000)]
    [InlineData("process:\n", "- ", 20_000)]
    public void DeepNesting_IsRefusedBeforeTheParserRecursesIntoIt(string prefix, string opener, int levels)
    {
        var (definition, errors) = ServiceDefinitionParserTests.Parse(prefix + string.Concat(Enumerable.Repeat(opener, levels)) + "x");
        Assert.Null(definition);
        Assert.Contains(errors, e => e.Message == $"nested deeper than {BoundedYamlParser.MaxDepth} levels");
    }

    [Fact]
    public void DeepNesting_InTheMasterConfig_IsAnError()
    {
        var errors = new ConfigErrorCollector();
        MasterConfigParser.Parse("/etc/pm/config.yaml", "global: " + new string('[', 100_000), Support.FakeUserDatabase.Instance, errors);
        Assert.Contains(errors.Errors, e => e.Message.StartsWith("nested deeper than", StringComparison.Ordinal));
    }

    [Fact]
    public void NestingUpToTheLimit_IsFine()
    {
        var nested = string.Concat(Enumerable.Repeat("[", BoundedYamlParser.MaxDepth - 2)) + string.Concat(Enumerable.Repeat("]", BoundedYamlParser.MaxDepth - 2));
        var (_, errors) = ServiceDefinitionParserTests.Parse(Valid + "global:\n  x: " + nested + "\n");
        Assert.DoesNotContain(errors, e => e.Message.StartsWith("nested deeper than", StringComparison.Ordinal));
    }

    [Fact]
    public void ASelfReferencingAlias_IsAnError()
    {
        var (definition, errors) = ServiceDefinitionParserTests.Parse("process: &x [*x]\n");
        Assert.Null(definition);
        Assert.Contains(errors, e => e.Message == "alias *x is inside the node its anchor names (a cycle)");
    }

    [Theory]
    [InlineData("a: &x [y]\nb: {? *x : 1}\n")]
    [InlineData("? [a, b]\n: c\n")]
    [InlineData("{{a: b}: c}\n")]
    public void AMappingKeyThatIsNotAPlainValue_IsAnError(string yaml)
    {
        var (definition, errors) = ServiceDefinitionParserTests.Parse(yaml);
        Assert.Null(definition);
        Assert.Contains(errors, e => e.Message.StartsWith("a mapping key must be a plain value", StringComparison.Ordinal));
    }

    /// <summary>Inputs afl-fuzz found (tests/fuzz/run.sh): a cyclic alias used as a key overflowed the stack while YamlDotNet hashed it.</summary>
    [Theory]
    [InlineData("fuzz-cyclic-alias-as-key-1.yaml")]
    [InlineData("fuzz-cyclic-alias-as-key-2.yaml")]
    public void FuzzFindings_AreErrorsOfTheFile(string fixture)
    {
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Configuration", "Fixtures", fixture));
        var (definition, errors) = ServiceDefinitionParserTests.Parse(text);
        Assert.Null(definition);
        Assert.NotEmpty(errors);
        Assert.Throws<YamlDotNet.Core.YamlException>(() => EnabledFlagEditor.SetEnabled(text, true));
    }

    [Fact]
    public void EnablingAServiceWhoseFileIsNested100kDeep_FailsAsABadFile()
    {
        Assert.Throws<YamlDotNet.Core.YamlException>(() => EnabledFlagEditor.SetEnabled("global: " + new string('[', 100_000), true));
    }

    /// <summary>Text made of YAML's own punctuation, cut anywhere: the parser's error paths, not its happy ones.</summary>
    private static readonly Gen<string> YamlNoise =
        Gen.String[Gen.Char["[]{}:,-&*!|>?%@`'\"#\\ \t\naz09"], 0, 300];

    [Fact]
    public void AnyText_ParsesToADefinitionOrErrors_NeverAnException()
    {
        YamlNoise.Sample(text =>
        {
            var (definition, errors) = ServiceDefinitionParserTests.Parse(text);
            Assert.True(definition is not null || errors.Count > 0);
        }, iter: 20_000);
    }

    [Fact]
    public void AValidFileWithNoiseInsertedAnywhere_ParsesOrFails_NeverThrows()
    {
        Gen.Select(Gen.Int[0, Valid.Length], YamlNoise).Sample((at, noise) =>
        {
            var (definition, errors) = ServiceDefinitionParserTests.Parse(Valid[..at] + noise + Valid[at..]);
            Assert.True(definition is not null || errors.Count > 0);
        }, iter: 20_000);
    }
}
