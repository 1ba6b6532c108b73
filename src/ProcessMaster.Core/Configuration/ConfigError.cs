namespace ProcessMaster.Core.Configuration;

/// <summary>
/// One problem found in a configuration file, located as precisely as the YAML allows.
/// Rendered as <c>file:line:column: key: message</c>, the shape compilers use, so editors can jump to it.
/// </summary>
public sealed record ConfigError(string File, int Line, int Column, string? Key, string Message)
{
    /// <summary>An error about a whole file (unreadable, too large, ...), without a position.</summary>
    public static ConfigError ForFile(string file, string message) => new(file, 0, 0, null, message);

    /// <summary>Longest key or message shown: what a file says is quoted in errors, but never a whole file's worth.</summary>
    public const int MaxShownLength = 300;

    public override string ToString()
    {
        var location = Line > 0 ? $"{File}:{Line}:{Column}" : File;
        return Key is null ? $"{location}: {Shown(Message)}" : $"{location}: {Shown(Key)}: {Shown(Message)}";
    }

    /// <summary>Control characters (terminal escapes, newlines that would forge log lines) shown as '?', and a length cap.</summary>
    private static string Shown(string text)
    {
        var clean = string.Create(Math.Min(text.Length, MaxShownLength), text, (span, source) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = char.IsControl(source[i]) ? '?' : source[i];
            }
        });
        return text.Length > MaxShownLength ? clean + "..." : clean;
    }
}

/// <summary>Thrown when a configuration cannot be used; carries every error found, not just the first.</summary>
public sealed class ConfigException : Exception
{
    public ConfigException(IReadOnlyList<ConfigError> errors)
        : base(string.Join(Environment.NewLine, errors))
    {
        Errors = errors;
    }

    public IReadOnlyList<ConfigError> Errors { get; }
}
