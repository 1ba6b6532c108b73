using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ProcessMaster.Core.Configuration.Yaml;

/// <summary>
/// A strict view of one YAML mapping. Binders ask for the keys they know; <see cref="Finish"/> then
/// reports every key nobody asked for, with the nearest known key as a suggestion. Every error is
/// recorded with file, line, column and the dotted key path, and reading goes on so that one pass
/// reports every problem.
/// </summary>
internal sealed class YamlMap
{
    private readonly YamlMappingNode _node;
    private readonly ConfigErrorCollector _errors;
    private readonly HashSet<string> _known = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (YamlScalarNode Key, YamlNode Value)> _entries = new(StringComparer.Ordinal);

    public YamlMap(string file, string path, YamlMappingNode node, ConfigErrorCollector errors)
    {
        File = file;
        Path = path;
        _node = node;
        _errors = errors;
        foreach (var (key, value) in node.Children)
        {
            if (key is YamlScalarNode { Value: { } name } scalarKey)
            {
                _entries[name] = (scalarKey, value);
            }
            else
            {
                Report(key.Start, path, "keys must be plain strings");
            }
        }
    }

    public string File { get; }

    /// <summary>Dotted path of this mapping from the document root ("" for the root).</summary>
    public string Path { get; }

    public ConfigErrorCollector Errors => _errors;

    public Mark Start => _node.Start;

    public string KeyPath(string key) => Path.Length == 0 ? key : $"{Path}.{key}";

    /// <summary>True when the key is present, even with a null value.</summary>
    public bool Has(string key)
    {
        _known.Add(key);
        return _entries.ContainsKey(key);
    }

    /// <summary>True when the key is present with an explicit YAML null (<c>~</c>, <c>null</c> or nothing).</summary>
    public bool IsNull(string key) => Node(key) is YamlScalarNode scalar && IsNullScalar(scalar);

    /// <summary>The raw node of a key (null when absent); marks the key as known.</summary>
    public YamlNode? Node(string key)
    {
        _known.Add(key);
        return _entries.TryGetValue(key, out var entry) ? entry.Value : null;
    }

    /// <summary>A nested mapping; null when absent or null. A non-mapping value is an error.</summary>
    public YamlMap? Map(string key)
    {
        switch (Node(key))
        {
            case null:
                return null;
            case YamlMappingNode mapping:
                return new YamlMap(File, KeyPath(key), mapping, _errors);
            case YamlScalarNode scalar when IsNullScalar(scalar):
                return null;
            case var other:
                Report(other.Start, KeyPath(key), "expected a mapping (key: value pairs)");
                return null;
        }
    }

    /// <summary>The text of a scalar; null when absent or null. A list or mapping is an error.</summary>
    public string? Scalar(string key)
    {
        switch (Node(key))
        {
            case null:
                return null;
            case YamlScalarNode scalar:
                return IsNullScalar(scalar) ? null : scalar.Value;
            case var other:
                Report(other.Start, KeyPath(key), "expected a single value, not a list or mapping");
                return null;
        }
    }

    /// <summary>
    /// Parses a scalar with <paramref name="parse"/>; a <see cref="FormatException"/> from it becomes an
    /// error at the value's position. Returns null when absent, null or invalid.
    /// </summary>
    public T? Parse<T>(string key, Func<string, T> parse) where T : struct
    {
        var text = Scalar(key);
        if (text is null)
        {
            return null;
        }

        try
        {
            return parse(text);
        }
        catch (FormatException e)
        {
            ErrorAt(key, e.Message);
            return null;
        }
    }

    /// <summary>Like <see cref="Parse{T}"/> for reference results.</summary>
    public T? ParseObject<T>(string key, Func<string, T> parse) where T : class
    {
        var text = Scalar(key);
        if (text is null)
        {
            return null;
        }

        try
        {
            return parse(text);
        }
        catch (FormatException e)
        {
            ErrorAt(key, e.Message);
            return null;
        }
    }

    public bool? Bool(string key) => Parse(key, text => text.ToLowerInvariant() switch
    {
        "true" => true,
        "false" => false,
        _ => throw new FormatException($"expected true or false, got '{text}'"),
    });

    public long? Integer(string key, long min, long max) => Parse(key, text =>
    {
        if (!long.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign,
                System.Globalization.CultureInfo.InvariantCulture, out var value))
        {
            throw new FormatException($"expected a whole number, got '{text}'");
        }

        if (value < min || value > max)
        {
            throw new FormatException($"must be between {min} and {max}, got {value}");
        }

        return value;
    });

    /// <summary>A list of scalars; null when absent or null.</summary>
    public IReadOnlyList<string>? StringList(string key) => StringListWithMarks(key)?.Select(item => item.Value).ToList();

    /// <summary>A list of scalars, each with where it is written; null when absent or null.</summary>
    public IReadOnlyList<(string Value, SourceMark At)>? StringListWithMarks(string key)
    {
        var node = Node(key);
        if (node is null || node is YamlScalarNode s && IsNullScalar(s))
        {
            return null;
        }

        if (node is not YamlSequenceNode sequence)
        {
            Report(node.Start, KeyPath(key), "expected a list, e.g. [\"/bin/sleep\", \"10\"]");
            return null;
        }

        var items = new List<(string, SourceMark)>(sequence.Children.Count);
        for (var i = 0; i < sequence.Children.Count; i++)
        {
            var path = $"{KeyPath(key)}[{i}]";
            if (sequence.Children[i] is YamlScalarNode { Value: { } value } item && !IsNullScalar(item))
            {
                items.Add((value, new SourceMark(File, (int)item.Start.Line, (int)item.Start.Column, path)));
            }
            else
            {
                Report(sequence.Children[i].Start, path, "expected a string");
            }
        }

        return items;
    }

    /// <summary>A list of whole numbers, each between <paramref name="min"/> and <paramref name="max"/>; null when absent or null.</summary>
    public IReadOnlyList<long>? IntegerList(string key, long min, long max)
    {
        var items = StringListWithMarks(key);
        if (items is null)
        {
            return null;
        }

        var values = new List<long>(items.Count);
        foreach (var (text, at) in items)
        {
            if (!long.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var value))
            {
                _errors.Add(at.Error($"expected a whole number, got '{text}'"));
            }
            else if (value < min || value > max)
            {
                _errors.Add(at.Error($"must be between {min} and {max}, got {value}"));
            }
            else
            {
                values.Add(value);
            }
        }

        return values;
    }

    /// <summary>Where <paramref name="key"/> is written (the mapping's start when absent): for errors found later.</summary>
    public SourceMark MarkOf(string key)
    {
        var mark = _entries.TryGetValue(key, out var entry) ? entry.Key.Start : _node.Start;
        return new SourceMark(File, (int)mark.Line, (int)mark.Column, KeyPath(key));
    }

    /// <summary>A list of mappings; null when absent or null.</summary>
    public IReadOnlyList<YamlMap>? MapList(string key)
    {
        var node = Node(key);
        if (node is null || node is YamlScalarNode s && IsNullScalar(s))
        {
            return null;
        }

        if (node is not YamlSequenceNode sequence)
        {
            Report(node.Start, KeyPath(key), "expected a list of mappings");
            return null;
        }

        var items = new List<YamlMap>(sequence.Children.Count);
        for (var i = 0; i < sequence.Children.Count; i++)
        {
            if (sequence.Children[i] is YamlMappingNode mapping)
            {
                items.Add(new YamlMap(File, $"{KeyPath(key)}[{i}]", mapping, _errors));
            }
            else
            {
                Report(sequence.Children[i].Start, $"{KeyPath(key)}[{i}]", "expected a mapping (key: value pairs)");
            }
        }

        return items;
    }

    /// <summary>
    /// Every key of this mapping with its nested mapping, for maps keyed by id (admin_actions, depends_on);
    /// with <paramref name="allowNull"/>, a key without a value (<c>db:</c>) is given as null rather than an error.
    /// </summary>
    public IEnumerable<(string Key, YamlMap? Value)> Entries(bool allowNull = false)
    {
        foreach (var (name, (keyNode, value)) in _entries)
        {
            _known.Add(name);
            if (value is YamlMappingNode mapping)
            {
                yield return (name, new YamlMap(File, KeyPath(name), mapping, _errors));
            }
            else if (allowNull && value is YamlScalarNode scalar && IsNullScalar(scalar))
            {
                yield return (name, null);
            }
            else
            {
                Report(value.Start, KeyPath(name), "expected a mapping (key: value pairs)");
                yield return (name, null);
            }
        }
    }

    /// <summary>Records an error about the value of <paramref name="key"/> (or the mapping when absent).</summary>
    public void ErrorAt(string key, string message)
    {
        var mark = _entries.TryGetValue(key, out var entry) ? entry.Value.Start : _node.Start;
        Report(mark, KeyPath(key), message);
    }

    /// <summary>Records a warning about the value of <paramref name="key"/>: something dropped, the rest of the definition stands.</summary>
    public void WarnAt(string key, string message)
    {
        var mark = _entries.TryGetValue(key, out var entry) ? entry.Value.Start : _node.Start;
        _errors.Warn(new ConfigError(File, (int)mark.Line, (int)mark.Column, KeyPath(key), message));
    }

    /// <summary>Records an error about the mapping itself (a missing key, a conflict between keys).</summary>
    public void Error(string message) => Report(_node.Start, Path.Length == 0 ? null : Path, message);

    /// <summary>Reports every key nobody asked for, suggesting the nearest known one.</summary>
    public void Finish()
    {
        if (_errors.KnownKeys is { } schema)
        {
            schema.UnionWith(_known.Select(KeyPath));
        }

        foreach (var (name, (keyNode, _)) in _entries)
        {
            if (_known.Contains(name))
            {
                continue;
            }

            var suggestion = KeySuggester.Nearest(name, _known);
            var hint = suggestion is null
                ? $"valid keys here: {string.Join(", ", _known.Order(StringComparer.Ordinal))}"
                : $"did you mean '{suggestion}'?";
            Report(keyNode.Start, KeyPath(name), $"unknown key; {hint}");
        }
    }

    private void Report(Mark mark, string? key, string message) =>
        _errors.Add(new ConfigError(File, (int)mark.Line, (int)mark.Column, key, message));

    private static bool IsNullScalar(YamlScalarNode scalar) =>
        scalar.Style is ScalarStyle.Plain or ScalarStyle.Any &&
        scalar.Value is null or "" or "~" or "null" or "Null" or "NULL";
}
