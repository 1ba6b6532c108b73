namespace ProcessMaster.Core.Configuration;

/// <summary>Collects every error of a load instead of stopping at the first (as YARP's validation does).</summary>
public sealed class ConfigErrorCollector
{
    private readonly List<ConfigError> _errors = [];
    private readonly List<ConfigError> _warnings = [];

    public IReadOnlyList<ConfigError> Errors => _errors;

    /// <summary>What was dropped or corrected without failing the definition, for the events and <c>--check-config</c>.</summary>
    public IReadOnlyList<ConfigError> Warnings => _warnings;

    /// <summary>
    /// When set, receives the dotted path of every key the binders know (present or not) in each mapping
    /// they read: the configuration schema, which the reference in docs/configuration.md is checked against.
    /// </summary>
    public ISet<string>? KnownKeys { get; init; }

    public bool HasErrors => _errors.Count > 0;

    public void Add(ConfigError error) => _errors.Add(error);

    public void Warn(ConfigError warning) => _warnings.Add(warning);

    public void AddRange(IEnumerable<ConfigError> errors) => _errors.AddRange(errors);

    /// <summary>Throws <see cref="ConfigException"/> when anything was collected.</summary>
    public void ThrowIfAny()
    {
        if (HasErrors)
        {
            throw new ConfigException(_errors.ToArray());
        }
    }
}
