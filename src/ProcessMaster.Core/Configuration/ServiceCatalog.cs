using System.Collections.Immutable;

namespace ProcessMaster.Core.Configuration;

/// <summary>
/// The outcome of loading every service definition. Problems in one file never stop the others:
/// that file's service is skipped (and a reload keeps its last good definition, see <see cref="FailedNames"/>).
/// </summary>
/// <param name="Services">Loaded definitions, sorted by name.</param>
/// <param name="Problems">Errors that made a file's service unusable.</param>
/// <param name="FailedNames">Names of services whose file failed, where the name could be told.</param>
/// <param name="Warnings">Things the operator should know that did not stop anything.</param>
/// <param name="Fatal">An error that invalidates the whole load (e.g. a name collision); the rest is then empty.</param>
public sealed record ServiceCatalog(
    ImmutableArray<ServiceDefinition> Services,
    ImmutableArray<ConfigError> Problems,
    ImmutableHashSet<string> FailedNames,
    ImmutableArray<string> Warnings,
    ConfigError? Fatal)
{
    public static ServiceCatalog FromFatal(ConfigError fatal, IEnumerable<string> warnings) =>
        new([], [], [], [.. warnings], fatal);
}
