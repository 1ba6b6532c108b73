using ProcessMaster.Core.Configuration.Values;
using ProcessMaster.Core.Configuration.Yaml;
using ProcessMaster.Core.Processes;
using YamlDotNet.RepresentationModel;

namespace ProcessMaster.Core.Configuration;

/// <summary>Commands (argv lists or shell-like strings), environment files and <c>${NAME}</c> references.</summary>
public static partial class ServiceDefinitionParser
{
    /// <summary>
    /// A command as its words, each with where it is written: an argv list as it is, a string split as a
    /// POSIX shell would (<see cref="ShellWords"/>). Null when absent or invalid (reported once, at the key).
    /// </summary>
    private static List<(string Word, SourceMark At)>? ParseCommand(YamlMap process, string key)
    {
        var node = process.Node(key);
        if (node is null || process.IsNull(key))
        {
            return null;
        }

        List<(string Word, SourceMark At)>? words;
        if (node is YamlScalarNode { Value: { } text } scalar)
        {
            var at = new SourceMark(process.File, (int)scalar.Start.Line, (int)scalar.Start.Column, process.KeyPath(key));
            try
            {
                words = [.. ShellWords.Split(text).Select(word => (word, at))];
            }
            catch (FormatException e)
            {
                process.ErrorAt(key, e.Message);
                return null;
            }
        }
        else
        {
            words = process.StringListWithMarks(key)?.ToList();
        }

        if (words is { Count: > 0 } && words[0].Word.Length > 0)
        {
            return words;
        }

        process.ErrorAt(key, "must be a non-empty argv list or command line, e.g. [\"./run.sh\"] or \"./run.sh --port 8080\"");
        return null;
    }

    private static EquatableArray<EnvironmentFileSetting> ParseEnvironmentFiles(YamlMap process, string workingDirectory)
    {
        var node = process.Node("environment_file");
        if (node is null || process.IsNull("environment_file"))
        {
            return EquatableArray<EnvironmentFileSetting>.Empty;
        }

        if (node is not YamlSequenceNode sequence)
        {
            process.ErrorAt("environment_file", "expected a list of paths or {path, optional} mappings, e.g. [\"/etc/web/env\"]");
            return EquatableArray<EnvironmentFileSetting>.Empty;
        }

        var files = new List<EnvironmentFileSetting>(sequence.Children.Count);
        for (var i = 0; i < sequence.Children.Count; i++)
        {
            string? path;
            var optional = false;
            switch (sequence.Children[i])
            {
                case YamlScalarNode scalar:
                    path = scalar.Value;
                    break;
                case YamlMappingNode mapping:
                    var entry = new YamlMap(process.File, $"{process.KeyPath("environment_file")}[{i}]", mapping, process.Errors);
                    path = entry.Scalar("path");
                    optional = entry.Bool("optional") ?? false;
                    if (path is null)
                    {
                        entry.Error("missing required key 'path'");
                    }

                    entry.Finish();
                    break;
                default:
                    path = null;
                    process.Errors.Add(new ConfigError(process.File, (int)sequence.Children[i].Start.Line, (int)sequence.Children[i].Start.Column,
                        $"{process.KeyPath("environment_file")}[{i}]", "expected a path or a {path, optional} mapping"));
                    break;
            }

            if (!string.IsNullOrWhiteSpace(path))
            {
                files.Add(new EnvironmentFileSetting(Path.GetFullPath(path.Trim(), workingDirectory), optional));
            }
        }

        return new EquatableArray<EnvironmentFileSetting>(files);
    }

    /// <summary>
    /// Reports each malformed <c>${...}</c> of <paramref name="text"/>, and each name that cannot be set when
    /// the service starts: not in <paramref name="known"/> and without a default. With environment files the
    /// names are known only at start, which then fails naming the variable.
    /// </summary>
    private static void CheckReferences(string text, ISet<string>? known, Action<string> error)
    {
        List<VariableReference> references;
        try
        {
            references = VariableTemplate.References(text);
        }
        catch (FormatException e)
        {
            error(e.Message);
            return;
        }

        foreach (var reference in references)
        {
            if (known is not null && reference.Default is null && !known.Contains(reference.Name))
            {
                error($"${{{reference.Name}}} is not set for this service (not in {(known.Count <= 8 ? string.Join(", ", known.Order(StringComparer.Ordinal)) : "its environment")}); " +
                      $"set it in process.environment, give a default with ${{{reference.Name}:-value}}, or write $${{ for a literal ${{");
            }
        }
    }

    /// <summary>The names a service's environment has before its own variables: null when environment files add names only known at start.</summary>
    private static HashSet<string>? KnownAtLoad(bool inherit, bool hasUser, bool hasEnvironmentFiles) =>
        hasEnvironmentFiles ? null : ServiceEnvironment.BaseNames(inherit, hasUser);

    private static void CheckCommandReferences(List<(string Word, SourceMark At)>? command, ISet<string>? known, ConfigErrorCollector errors)
    {
        foreach (var (word, at) in command ?? [])
        {
            CheckReferences(word, known, message => errors.Add(at.Error(message)));
        }
    }
}
