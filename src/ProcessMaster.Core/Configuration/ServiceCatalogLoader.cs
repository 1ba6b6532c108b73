using System.Collections.Immutable;
using System.Text;
using ProcessMaster.Core.Processes;

namespace ProcessMaster.Core.Configuration;

/// <summary>
/// Finds and parses every service definition: the <c>*.yml</c>/<c>*.yaml</c> files of
/// <c>config_directory</c> and the child directories of <c>auto_service_directory</c>. In read-only mode
/// (<c>--check-config</c>) nothing is written: no generated <c>service.yml</c>, no regeneration.
/// </summary>
public sealed partial class ServiceCatalogLoader
{
    public const int MaxFileBytes = 1024 * 1024;
    public const int MaxServices = 10_000;
    public const string RegenMarker = ".regen_pm_config";

    private readonly MasterConfig _master;
    private readonly IUserDatabase _users;
    private readonly bool _readOnly;
    private readonly TimeZoneInfo _zone;
    private readonly List<ServiceDefinition> _services = [];
    private readonly List<ConfigError> _problems = [];
    private readonly HashSet<string> _failed = new(StringComparer.Ordinal);
    private readonly List<string> _warnings = [];

    public ServiceCatalogLoader(MasterConfig master, IUserDatabase users, bool readOnly, TimeZoneInfo? zone = null)
    {
        _master = master;
        _users = users;
        _readOnly = readOnly;
        _zone = zone ?? TimeZoneInfo.Local;
    }

    public ServiceCatalog Load()
    {
        var configDirectory = _master.Global.ConfigDirectory;
        if (configDirectory is not null)
        {
            if (!Directory.Exists(configDirectory))
            {
                _warnings.Add($"config_directory_missing path={configDirectory} (no service files loaded from it)");
            }
            else
            {
                try
                {
                    LoadConfigDirectory(configDirectory);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    return ServiceCatalog.FromFatal(ConfigError.ForFile(configDirectory, $"cannot read config_directory: {e.Message}"), _warnings);
                }
            }
        }

        var fromConfigDirectory = _services.Select(s => s.Name).Concat(_failed).ToHashSet(StringComparer.Ordinal);
        if (_master.Global.AutoServiceDirectory is { } autoDirectory)
        {
            var collision = LoadAutoServices(autoDirectory, fromConfigDirectory);
            if (collision is not null)
            {
                return ServiceCatalog.FromFatal(collision, _warnings);
            }
        }

        RemoveDuplicates();
        if (_services.Count > MaxServices)
        {
            return ServiceCatalog.FromFatal(
                ConfigError.ForFile(_master.SourceFile, $"{_services.Count} services defined; at most {MaxServices} are supported"), _warnings);
        }

        return new ServiceCatalog(
            [.. _services.OrderBy(s => s.Name, StringComparer.Ordinal)],
            [.. _problems],
            _failed.ToImmutableHashSet(StringComparer.Ordinal),
            [.. _warnings],
            null);
    }

    private void LoadConfigDirectory(string directory)
    {
        var files = Directory.EnumerateFiles(directory)
            .Where(f => Path.GetExtension(f).ToLowerInvariant() is ".yml" or ".yaml")
            .Order(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var stem = Path.GetFileNameWithoutExtension(file);
            var derived = stem.Equals("service", StringComparison.OrdinalIgnoreCase)
                ? Path.GetFileName(Path.GetDirectoryName(file)) ?? stem
                : stem;
            LoadFile(file, derived, autoServiceDirectory: null);
        }
    }

    /// <summary>Reads and parses one file; problems are recorded against the service's name.</summary>
    private void LoadFile(string file, string derivedName, string? autoServiceDirectory)
    {
        var text = ReadText(file);
        if (text is null)
        {
            _failed.Add(derivedName);
            return;
        }

        LoadText(file, text, derivedName, autoServiceDirectory);
    }

    private void LoadText(string file, string text, string derivedName, string? autoServiceDirectory)
    {
        var errors = new ConfigErrorCollector();
        var context = new ServiceParseContext(file, derivedName, autoServiceDirectory, _users,
            Values.EnvironmentValue.ReadFile, _zone);
        ServiceDefinition? definition = null;
        try
        {
            definition = ServiceDefinitionParser.Parse(text, context, errors);
            if (definition is not null)
            {
                CheckWorkingDirectory(definition, file, errors);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // One file must never stop the others (or boot): whatever went wrong is this file's problem.
            errors.Add(ConfigError.ForFile(file, $"cannot be loaded: {e.GetType().Name}: {e.Message}"));
            definition = null;
        }

        if (errors.HasErrors || definition is null)
        {
            _problems.AddRange(errors.Errors);
            _failed.Add(definition?.Name ?? DeclaredName(text) ?? derivedName);
            return;
        }

        _services.Add(definition);
    }

    private static void CheckWorkingDirectory(ServiceDefinition definition, string file, ConfigErrorCollector errors)
    {
        if (Directory.Exists(definition.WorkingDirectory))
        {
            return;
        }

        // Provisioning that creates the working directory itself runs before the service starts.
        var createdByProvisioning = definition.Provisioning.Any(p =>
            Path.TrimEndingDirectorySeparator(p.Path) == definition.WorkingDirectory && !p.AddNetBindCapability);
        if (!createdByProvisioning)
        {
            errors.Add(new ConfigError(file, 0, 0, "process.working_directory",
                $"directory {definition.WorkingDirectory} does not exist"));
        }
    }

    private string? ReadText(string file)
    {
        try
        {
            var info = new FileInfo(file);
            if (info.Length > MaxFileBytes)
            {
                _problems.Add(ConfigError.ForFile(file, $"file is larger than {MaxFileBytes} bytes"));
                return null;
            }

            var bytes = File.ReadAllBytes(file);
            return new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            _problems.Add(ConfigError.ForFile(file, "file is not valid UTF-8"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _problems.Add(ConfigError.ForFile(file, $"cannot read: {e.Message}"));
        }

        return null;
    }

    /// <summary>A best-effort look at <c>application:</c> in a file that failed, so a reload keeps the right service.</summary>
    private static string? DeclaredName(string text)
    {
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith("application:", StringComparison.Ordinal))
            {
                var value = line["application:".Length..].Split('#')[0].Trim().Trim('"', '\'');
                return value.Length > 0 ? value : null;
            }
        }

        return null;
    }

    private void RemoveDuplicates()
    {
        foreach (var group in _services.GroupBy(s => s.Name, StringComparer.Ordinal).Where(g => g.Count() > 1).ToList())
        {
            var files = string.Join(", ", group.Select(s => s.SourceFile));
            foreach (var definition in group)
            {
                _problems.Add(ConfigError.ForFile(definition.SourceFile ?? definition.Name,
                    $"application '{group.Key}' is defined more than once ({files}); none of them is loaded"));
            }

            _services.RemoveAll(s => s.Name == group.Key);
            _failed.Add(group.Key);
        }
    }
}
