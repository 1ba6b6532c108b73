namespace ProcessMaster.Core.Configuration;

/// <summary>
/// One problem found in a configuration file, located as precisely as the YAML allows.
/// Rendered as <c>file:line:column: key: message</c>, the shape compilers use, so editors can jump to it.
/// </summary>
public sealed record ConfigError(string File, int Line, int Column, string? Key, string Message)
{
    /// <summary>An error about a whole file (unreadable, too large, ...), without a position.</summary>
    public static ConfigError ForFile(string file, string message) => new(file, 0, 0, null, message);

    public override string ToString()
    {
        var location = Line > 0 ? $"{File}:{Line}:{Column}" : File;
        return Key is null ? $"{location}: {Message}" : $"{location}: {Key}: {Message}";
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
