using ProcessMaster.Core.Configuration.Values;
using ProcessMaster.Core.Files;

namespace ProcessMaster.Core.Configuration;

/// <summary>
/// Auto-services: one service per child directory of <c>auto_service_directory</c>. Such a directory is
/// usually its service's own (its user may write it), so the daemon reaches it like any service directory
/// (<see cref="SafeDirectory"/>: no link followed that only root could not have made) and trusts what it
/// finds there as much as the people who can change it (<see cref="DefinitionTrust"/>): a directory owned
/// by alice gets a generated <c>service.yml</c> that runs as alice.
/// </summary>
public sealed partial class ServiceCatalogLoader
{
    private const string PreferredFile = "service.yml";
    private const string OtherFile = "service.yaml";

    private ConfigError? LoadAutoServices(string autoDirectory, HashSet<string> fromConfigDirectory)
    {
        if (!Directory.Exists(autoDirectory))
        {
            _warnings.Add($"auto_service_directory_missing path={autoDirectory}");
            return null;
        }

        List<string> names;
        try
        {
            using var directory = SafeDirectory.Open(autoDirectory);
            names = [.. directory.Names().Where(n => directory.Stat(n) is { } st && (st.Mode & Interop.Libc.S_IFMT) is Interop.Libc.S_IFDIR or Interop.Libc.S_IFLNK)
                .Order(StringComparer.Ordinal)];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return ConfigError.ForFile(autoDirectory, $"cannot read auto_service_directory: {e.Message}");
        }

        foreach (var entry in names)
        {
            var name = entry.Trim();
            if (name.Length == 0 || name.StartsWith('.') || name.EndsWith(".disabled", StringComparison.Ordinal))
            {
                continue;
            }

            var directory = Path.Combine(autoDirectory, entry);
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

    private void LoadAutoService(string path, string name, string autoDirectory)
    {
        SafeDirectory directory;
        try
        {
            directory = SafeDirectory.Open(path);
        }
        catch (IOException e)
        {
            _problems.Add(ConfigError.ForFile(path, $"cannot be read: {e.Message}"));
            _failed.Add(name);
            return;
        }

        using (directory)
        {
            if (Untrusted(path) is not { } untrusted)
            {
                _failed.Add(name);
                return;
            }

            if (directory.Stat(RegenMarker) is not null)
            {
                Regenerate(directory, name, untrusted.SingleUser);
            }

            foreach (var file in new[] { PreferredFile, OtherFile })
            {
                if (directory.Stat(file) is not null)
                {
                    LoadFile(Path.Combine(path, file), name, autoDirectory);
                    return;
                }
            }

            var yml = Path.Combine(path, PreferredFile);
            var template = Template(name, untrusted.SingleUser);
            if (!_readOnly && TryCreateNew(directory, PreferredFile, template))
            {
                _warnings.Add($"auto_service_generated app={name} file={yml}");
                LoadText(yml, template, name, autoDirectory, untrusted.SingleUser);
                return;
            }

            // Built-in defaults, kept in memory (read-only mode, or the directory is not writable).
            var before = _services.Count;
            LoadText(yml, template, name, autoDirectory, untrusted.SingleUser);
            if (_services.Count > before)
            {
                _services[^1] = _services[^1] with { SourceFile = null };
            }
        }
    }

    /// <summary>The generated definition: it runs as the directory's user when one other than root can change it.</summary>
    private string Template(string name, uint? owner)
    {
        if (owner?.ToString(System.Globalization.CultureInfo.InvariantCulture) is { } uid && _users.FindUser(uid) is { } account)
        {
            return AutoServiceTemplate.Render(name, account.Name, _users.FindGroup(account.Gid.ToString(System.Globalization.CultureInfo.InvariantCulture))?.Name ?? account.Name);
        }

        return AutoServiceTemplate.Render(name, _master.Global.DefaultServiceUser, _master.Global.DefaultServiceGroup);
    }

    /// <summary>
    /// The <c>.regen_pm_config</c> flow: existing service.yml/service.yaml become service.yml.bak (or .bak.N),
    /// a fresh service.yml is written, and the marker is removed only if all of that succeeded. Every step is
    /// a rename or create relative to the held directory.
    /// </summary>
    private void Regenerate(SafeDirectory directory, string name, uint? owner)
    {
        if (_readOnly)
        {
            _warnings.Add($"auto_service_regen_pending app={name} (a daemon load will regenerate service.yml)");
            return;
        }

        try
        {
            foreach (var existing in new[] { PreferredFile, OtherFile })
            {
                if (directory.Stat(existing) is not null)
                {
                    var backup = FreeBackupName(directory);
                    directory.Rename(existing, backup);
                    _warnings.Add($"auto_service_regen_backed_up app={name} from={directory.Path}/{existing} to={directory.Path}/{backup}");
                }
            }

            WriteAtomically(directory, PreferredFile, Template(name, owner));
            directory.Delete(RegenMarker);
            _warnings.Add($"auto_service_regen_written app={name} file={directory.Path}/{PreferredFile}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _warnings.Add($"auto_service_regen_failed app={name} err={e.Message} (marker kept)");
        }
    }

    private static string FreeBackupName(SafeDirectory directory)
    {
        const string first = PreferredFile + ".bak";
        if (directory.Stat(first) is null)
        {
            return first;
        }

        for (var n = 1; n <= 9999; n++)
        {
            var candidate = $"{first}.{n}";
            if (directory.Stat(candidate) is null)
            {
                return candidate;
            }
        }

        throw new IOException($"no free backup name next to {directory.Path}/{first}");
    }

    private static bool TryCreateNew(SafeDirectory directory, string name, string text)
    {
        try
        {
            using var file = directory.CreateNew(name, DefinitionFileMode);
            RandomAccess.Write(file, System.Text.Encoding.UTF8.GetBytes(text), 0);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>0644: a definition holds no secret of its own (<c>@file://</c> keeps those apart).</summary>
    private const int DefinitionFileMode = 0x1A4;

    /// <summary>Writes through a temporary file and a rename in <paramref name="directory"/>, so readers never see half a file.</summary>
    /// <param name="durable">fsync before the rename: the content must survive a crash of the host, not only of the daemon.</param>
    internal static void WriteAtomically(SafeDirectory directory, string name, string text, int mode = DefinitionFileMode, bool durable = true) =>
        WriteAtomically(directory, name, System.Text.Encoding.UTF8.GetBytes(text), mode, durable);

    /// <inheritdoc cref="WriteAtomically(SafeDirectory, string, string, int, bool)"/>
    internal static void WriteAtomically(SafeDirectory directory, string name, ReadOnlySpan<byte> content, int mode = DefinitionFileMode, bool durable = true)
    {
        var temp = $".{name}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var file = directory.CreateNew(temp, mode))
            {
                RandomAccess.Write(file, content, 0);
                if (durable)
                {
                    RandomAccess.FlushToDisk(file);
                }
            }

            directory.Rename(temp, name);
        }
        finally
        {
            directory.Delete(temp);
        }
    }

    /// <summary>Writes <paramref name="path"/> atomically (its directory reached by the same rule).</summary>
    internal static void WriteAtomically(string path, ReadOnlySpan<byte> content, int mode = DefinitionFileMode, bool durable = true)
    {
        using var directory = SafeDirectory.OpenParent(path, out var name);
        WriteAtomically(directory, name, content, mode, durable);
    }
}
