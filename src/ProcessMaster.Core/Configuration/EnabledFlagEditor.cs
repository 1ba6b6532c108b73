using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace ProcessMaster.Core.Configuration;

/// <summary>
/// Sets <c>global.enabled</c> in a service file by editing the text in place, so comments, order and
/// formatting survive <c>pmctl enable</c>/<c>disable</c>. Pure: text in, text out.
/// </summary>
public static class EnabledFlagEditor
{
    public static string SetEnabled(string text, bool enabled)
    {
        var value = enabled ? "true" : "false";
        var stream = Yaml.BoundedYamlParser.Load(text);
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new FormatException("the file is not a YAML mapping");
        }

        var global = root.Children.FirstOrDefault(e => e.Key is YamlScalarNode { Value: "global" });
        if (global.Key is null)
        {
            var prefix = text.Length == 0 || text.EndsWith('\n') ? text : text + "\n";
            return $"{prefix}global:\n  enabled: {value}\n";
        }

        if (global.Value is YamlScalarNode empty && string.IsNullOrEmpty(empty.Value))
        {
            // "global:" with nothing under it.
            var at = (int)global.Key.End.Index;
            return text[..at] + $":\n  enabled: {value}" + text[(at + 1)..].TrimStart(' ');
        }

        if (global.Value is not YamlMappingNode map)
        {
            throw new FormatException("'global' is not a mapping");
        }

        var entry = map.Children.FirstOrDefault(e => e.Key is YamlScalarNode { Value: "enabled" });
        if (entry.Value is YamlScalarNode scalar)
        {
            return Replace(text, scalar.Start, scalar.End, value);
        }

        if (map.Style == MappingStyle.Flow)
        {
            var open = (int)map.Start.Index + 1;
            var separator = map.Children.Count > 0 ? ", " : "";
            return text[..open] + $"enabled: {value}{separator}" + text[open..];
        }

        // Block mapping without the key: insert a line above its first key, at the same indentation.
        var first = map.Children.First().Key;
        var lineStart = (int)first.Start.Index - ((int)first.Start.Column - 1);
        var indent = new string(' ', (int)first.Start.Column - 1);
        return text[..lineStart] + $"{indent}enabled: {value}\n" + text[lineStart..];
    }

    private static string Replace(string text, Mark start, Mark end, string value) =>
        text[..(int)start.Index] + value + text[(int)end.Index..];
}
