using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ProcessMaster.Core.Configuration.Yaml;

/// <summary>
/// Parses YAML text into YamlDotNet's representation model, which is reflection-free (NativeAOT safe)
/// and keeps the position of every node, so every later error can name its line and column.
/// </summary>
internal static class YamlDocument
{
    /// <summary>
    /// Parses <paramref name="text"/>; returns the root mapping, or null with an error recorded: whatever the
    /// text, a problem is an error of this file (with its position), never an exception for the caller.
    /// </summary>
    public static YamlMap? ParseMapping(string file, string text, ConfigErrorCollector errors)
    {
        YamlStream stream;
        try
        {
            stream = BoundedYamlParser.Load(text);
        }
        catch (YamlException e)
        {
            var message = e.InnerException is YamlException inner ? inner.Message : e.Message;
            errors.Add(new ConfigError(file, (int)e.Start.Line, (int)e.Start.Column, null, CleanParserMessage(message)));
            return null;
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            return new YamlMap(file, "", new YamlMappingNode(), errors);
        }

        if (stream.Documents.Count > 1)
        {
            var second = stream.Documents[1].RootNode;
            errors.Add(new ConfigError(file, (int)second.Start.Line, (int)second.Start.Column, null,
                "only one YAML document is allowed per file"));
        }

        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            var node = stream.Documents[0].RootNode;
            errors.Add(new ConfigError(file, (int)node.Start.Line, (int)node.Start.Column, null,
                "expected a mapping of keys to values at the top level"));
            return null;
        }

        return new YamlMap(file, "", root, errors);
    }

    // YamlDotNet prefixes messages with "(Line: 3, Col: 5, Idx: 20) - (Line: ...): "; we print our own position.
    private static string CleanParserMessage(string message)
    {
        var cut = message.LastIndexOf("): ", StringComparison.Ordinal);
        return cut >= 0 && message.StartsWith("(Line", StringComparison.Ordinal) ? message[(cut + 3)..] : message;
    }
}
