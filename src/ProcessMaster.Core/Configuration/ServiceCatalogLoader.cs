using System.Collections.Immutable;
using System.Text;
using ProcessMaster.Core.Files;
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

    /// <summary>Who may define anything: root, and whoever can change the master config (they control the daemon already).</summary>
    private readonly Writers _trusted;

    public ServiceCatalogLoader(MasterConfig master, IUserDatabase users, bool readOnly, TimeZoneInfo? zone = null)
    {
        _master = master;
        _users = users;
        _readOnly = readOnly;
        _zone = zone ?? TimeZoneInfo.Local;
        _trusted = WritersOf(master.SourceFile) ?? Writers.None;
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
        RemoveBadDependencies();
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

    /// <summary>One loader per file of a directory, sharing what does not change: the files load on every core.</summary>
    private ServiceCatalogLoader(ServiceCatalogLoader parent)
    {
        _master = parent._master;
        _users = parent._users;
        _readOnly = parent._readOnly;
        _zone = parent._zone;
        _trusted = parent._trusted;
    }

    private void LoadConfigDirectory(string directory)
    {
        var files = Directory.EnumerateFiles(directory)
            .Where(f => Path.GetExtension(f).ToLowerInvariant() is ".yml" or ".yaml")
            .Order(StringComparer.Ordinal)
            .ToArray();
        // Parsing is most of a boot's (and a re-exec's) work with many services: each file on its own
        // loader, on every core, merged in file order so the outcome is the same as one after the other.
        var loaded = new ServiceCatalogLoader[files.Length];
        Parallel.For(0, files.Length, i =>
        {
            var stem = Path.GetFileNameWithoutExtension(files[i]);
            var derived = stem.Equals("service", StringComparison.OrdinalIgnoreCase)
                ? Path.GetFileName(Path.GetDirectoryName(files[i])) ?? stem
                : stem;
            loaded[i] = new ServiceCatalogLoader(this);
            loaded[i].LoadFile(files[i], derived, autoServiceDirectory: null);
        });
        foreach (var one in loaded)
        {
            _services.AddRange(one._services);
            _problems.AddRange(one._problems);
            _failed.UnionWith(one._failed);
            _warnings.AddRange(one._warnings);
        }
    }

    /// <summary>
    /// Reads and parses one file, trusting it as much as the people who can change it
    /// (<see cref="DefinitionTrust"/>); problems are recorded against the service's name.
    /// </summary>
    private void LoadFile(string file, string derivedName, string? autoServiceDirectory)
    {
        var untrusted = Untrusted(file);
        var text = untrusted is null ? null : ReadText(file, untrusted.SingleUser);
        if (text is null)
        {
            _failed.Add(derivedName);
            return;
        }

        LoadText(file, text, derivedName, autoServiceDirectory, untrusted!.SingleUser);
    }

    /// <summary>Who beyond the trusted can change <paramref name="path"/>; null (a problem recorded) when the file is not to be loaded.</summary>
    private Writers? Untrusted(string path)
    {
        Writers writers;
        try
        {
            writers = Writers.OfPath(path);
        }
        catch (IOException e)
        {
            _problems.Add(ConfigError.ForFile(path, $"cannot be read: {e.Message}"));
            return null;
        }

        var untrusted = writers.Beyond(_trusted);
        if (DefinitionTrust.Refusal(untrusted, _users) is { } refusal)
        {
            _problems.Add(ConfigError.ForFile(path, refusal));
            return null;
        }

        return untrusted;
    }

    private static Writers? WritersOf(string path)
    {
        try
        {
            return Writers.OfPath(path);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <param name="confinedTo">The one user besides the trusted who can change the file, whose service it then defines.</param>
    private void LoadText(string file, string text, string derivedName, string? autoServiceDirectory, uint? confinedTo)
    {
        var errors = new ConfigErrorCollector();
        var context = new ServiceParseContext(file, derivedName, autoServiceDirectory, _users,
            confinedTo is { } writer ? path => Values.EnvironmentValue.ReadFile(path, writer) : Values.EnvironmentValue.ReadFile, _zone);
        ServiceDefinition? definition = null;
        try
        {
            definition = ServiceDefinitionParser.Parse(text, context, errors);
            if (definition is not null && confinedTo is { } user)
            {
                definition = DefinitionTrust.Confine(definition, user, file, _users, errors);
            }

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

        _warnings.AddRange(errors.Warnings.Select(w => w.ToString()));
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

    /// <summary>
    /// Reads a definition without blocking (a FIFO is refused, not waited on) and at most <see cref="MaxFileBytes"/>.
    /// A file another user can change is read like a file in a service's directory: no link followed, only
    /// that user's (or root's) regular file, so its text cannot be someone else's file.
    /// </summary>
    private string? ReadText(string file, uint? confinedTo)
    {
        try
        {
            using var handle = confinedTo is { } writer ? OpenConfined(file, writer) : OpenTrusted(file);
            if (SafeDirectory.StatFd((int)handle.DangerousGetHandle()) is not { } st || (st.Mode & Interop.Libc.S_IFMT) != Interop.Libc.S_IFREG)
            {
                _problems.Add(ConfigError.ForFile(file, "not a regular file"));
                return null;
            }

            if ((long)st.Size > MaxFileBytes)
            {
                _problems.Add(ConfigError.ForFile(file, $"file is larger than {MaxFileBytes} bytes"));
                return null;
            }

            var bytes = new byte[(int)st.Size];
            var length = RandomAccess.Read(handle, bytes, 0);
            return new UTF8Encoding(false, true).GetString(bytes, 0, length);
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

    private static Microsoft.Win32.SafeHandles.SafeFileHandle OpenTrusted(string file) =>
        Interop.PosixFile.OpenForReading(file, out var error) ?? throw new IOException(error);

    private static Microsoft.Win32.SafeHandles.SafeFileHandle OpenConfined(string file, uint writer)
    {
        using var directory = SafeDirectory.OpenParent(file, out var name);
        return directory.OpenForReading(name, new FileOwners(writer));
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

    /// <summary>A definition whose depends_on the whole catalog shows to be wrong (unknown service, cycle, ...) is not loaded.</summary>
    private void RemoveBadDependencies()
    {
        var problems = DependencyCheck.Problems(_services, _failed);
        foreach (var (name, errors) in problems)
        {
            _problems.AddRange(errors);
            _failed.Add(name);
        }

        _services.RemoveAll(s => problems.ContainsKey(s.Name));
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
