using ProcessMaster.Core.Configuration;

namespace ProcessMaster.Tests.Configuration;

public class EnabledFlagEditorTests
{
    [Fact]
    public void ReplacesAnExistingValue_KeepingCommentsAndLayout()
    {
        const string text = "# my service\nprocess:\n  working_directory: /w   # here\nglobal:\n  enabled: true   # on\n# end\n";
        Assert.Equal(text.Replace("enabled: true", "enabled: false"), EnabledFlagEditor.SetEnabled(text, false));
    }

    [Fact]
    public void AddsTheKeyToAnExistingGlobalSection_AtItsIndentation()
    {
        const string text = "global:\n    other: 1\nprocess: {}\n";
        Assert.Equal("global:\n    enabled: false\n    other: 1\nprocess: {}\n", EnabledFlagEditor.SetEnabled(text, false));
    }

    [Fact]
    public void AddsAGlobalSectionWhenThereIsNone()
    {
        Assert.Equal("process: {}\n# tail comment\nglobal:\n  enabled: false\n", EnabledFlagEditor.SetEnabled("process: {}\n# tail comment\n", false));
        Assert.Equal("process: {}\nglobal:\n  enabled: true\n", EnabledFlagEditor.SetEnabled("process: {}", true));
    }

    [Fact]
    public void HandlesFlowMappings()
    {
        Assert.Equal("global: {enabled: false}\n", EnabledFlagEditor.SetEnabled("global: {enabled: true}\n", false));
        Assert.Equal("global: {enabled: false, x: 1}\n", EnabledFlagEditor.SetEnabled("global: {x: 1}\n", false));
    }

    [Fact]
    public void HandlesAnEmptyGlobalKey()
    {
        var edited = EnabledFlagEditor.SetEnabled("global:\nprocess: {}\n", false);
        Assert.Equal("global:\n  enabled: false\nprocess: {}\n", edited);
    }

    [Fact]
    public void TheResultParsesWithTheNewValue()
    {
        const string text = "process:\n  working_directory: /w\nglobal:\n  enabled: true\n";
        var (definition, errors) = ServiceDefinitionParserTests.Parse(EnabledFlagEditor.SetEnabled(text, false));
        Assert.Empty(errors);
        Assert.False(definition!.Enabled);
    }
}
