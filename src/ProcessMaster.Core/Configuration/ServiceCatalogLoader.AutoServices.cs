using ProcessMaster.Core.Configuration.Values;

namespace ProcessMaster.Core.Configuration;

/// <summary>Auto-services: one service per child directory of <c>auto_service_directory</c>.</summary>
public sealed partial class ServiceCatalogLoader
{
    private ConfigError? LoadAutoServices(string autoDirectory, HashSet<string> fromConfigDirectory)
    {
        if (!Directory.Exists(autoDirectory))
        {
            _warnings.Add($"auto_service_directory_missing path={autoDirectory}");
            return null;
        }

        IEnumerable<string> directories;
        try
        {
            directories = Directory.EnumerateDirectories(autoDirectory).Order(StringComparer.Ordinal).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return ConfigError.ForFile(autoDirectory, $"cannot read auto_service_directory: {e.Message}");
        }

        foreach (var directory in directories)
        {
            var name = Path.GetFileName(directory).Trim();
            if (name.Length == 0 || name.StartsWith('.') || name.EndsWith(".disabled", StringComparison.Ordinal))
            {
                continue;
            }

            if (fromConfigDirectory.Contains(name))
            {
                return ConfigError.ForFile(directory,
                    $"auto_service_directory conflict: application '{name}' is already defined in config_directory");
            }

            if (ApplicationName.Validate(name) is { } problem)
            {
                _problems.Add(ConfigError.ForFile(directory, problem));
                continue;
            }

            LoadAutoService(directory, name, autoDirectory);
        }

        return null;
    }

    private void LoadAutoService(string directory, string name, string autoDirectory)
    {
        if (File.Exists(Path.Combine(directory, RegenMarker)))
        {
            Regenerate(directory, name);
        }

        var yml = Path.Combine(directory, "service.yml");
        var yaml = Path.Combine(directory, "service.yaml");
        if (File.Exists(yml))
        {
            LoadFile(yml, name, autoDirectory);
            return;
        }

        if (File.Exists(yaml))
        {
            LoadFile(yaml, name, autoDirectory);
            return;
        }

        var template = Template(name);
        if (!_readOnly && TryCreateNew(yml, template))
        {
            _warnings.Add($"auto_service_generated app={name} file={yml}");
            LoadText(yml, template, name, autoDirectory);
            return;
        }

        // Built-in defaults, kept in memory (read-only mode, or the directory is not writable).
        var errors = new ConfigErrorCollector();
        var context = new ServiceParseContext(yml, name, autoDirectory, _users, EnvironmentValue.ReadFile, _zone);
        var definition = ServiceDefinitionParser.Parse(template, context, errors);
        if (definition is null)
        {
            _problems.AddRange(errors.Errors);
            _failed.Add(name);
            return;
        }

        _services.Add(definition with { SourceFile = null });
    }

    private string Template(string name) =>
        AutoServiceTemplate.Render(name, _master.Global.DefaultServiceUser, _master.Global.DefaultServiceGroup);

    /// <summary>
    /// The <c>.regen_pm_config</c> flow: existing service.yml/service.yaml become service.yml.bak (or .bak.N),
    /// a fresh service.yml is written, and the marker is removed only if all of that succeeded.
    /// </summary>
    private void Regenerate(string directory, string name)
    {
        if (_readOnly)
        {
            _warnings.Add($"auto_service_regen_pending app={name} (a daemon load will regenerate service.yml)");
            return;
        }

        try
        {
            foreach (var existing in new[] { "service.yml", "service.yaml" })
            {
                var path = Path.Combine(directory, existing);
                if (File.Exists(path))
                {
                    var backup = FreeBackupName(directory);
                    File.Move(path, backup);
                    _warnings.Add($"auto_service_regen_backed_up app={name} from={path} to={backup}");
                }
            }

            var target = Path.Combine(directory, "service.yml");
            WriteAtomically(target, Template(name));
            File.Delete(Path.Combine(directory, RegenMarker));
            _warnings.Add($"auto_service_regen_written app={name} file={target}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _warnings.Add($"auto_service_regen_failed app={name} err={e.Message} (marker kept)");
        }
    }

    private static string FreeBackupName(string directory)
    {
        var first = Path.Combine(directory, "service.yml.bak");
        if (!Path.Exists(first))
        {
            return first;
        }

        for (var n = 1; n <= 9999; n++)
        {
            var candidate = $"{first}.{n}";
            if (!Path.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new IOException($"no free backup name next to {first}");
    }

    private static bool TryCreateNew(string path, string text)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
            stream.Write(System.Text.Encoding.UTF8.GetBytes(text));
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Writes through a temporary file and a rename, so readers never see half a file.</summary>
    internal static void WriteAtomically(string path, string text)
    {
        var temp = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                stream.Write(System.Text.Encoding.UTF8.GetBytes(text));
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
