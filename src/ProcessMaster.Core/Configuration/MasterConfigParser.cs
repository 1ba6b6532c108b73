using System.Net;
using ProcessMaster.Core.Configuration.Values;
using ProcessMaster.Core.Configuration.Yaml;
using ProcessMaster.Core.Processes;

namespace ProcessMaster.Core.Configuration;

/// <summary>
/// Binds and validates the master config. Relative paths of the socket, the service directories and the
/// TLS files resolve against the config file's directory. Every problem is collected.
/// </summary>
public static class MasterConfigParser
{
    public static MasterConfig? Parse(string file, string text, IUserDatabase users, ConfigErrorCollector errors)
    {
        var before = errors.Errors.Count;
        var root = YamlDocument.ParseMapping(file, text, errors);
        if (root is null)
        {
            return null;
        }

        var baseDirectory = Path.GetDirectoryName(Path.GetFullPath(file)) ?? "/";
        var cgroup = ParseCgroup(root.Map("cgroup"));
        var socket = ParseSocket(root.Map("unix_socket"), baseDirectory, users);
        var global = root.Has("global") ? ParseGlobal(root.Map("global"), root, baseDirectory, users) : null;
        if (global is null && !root.Has("global"))
        {
            root.Error("missing required section 'global' (set global.config_directory and/or global.auto_service_directory)");
        }

        var web = ParseWebConsole(root.Map("web_console"), baseDirectory);
        var metrics = ParseMetrics(root.Map("metrics"), baseDirectory);
        var actions = ParseAdminActions(root.Map("admin_actions"));
        root.Finish();

        if (errors.Errors.Count > before || global is null)
        {
            return null;
        }

        return new MasterConfig
        {
            SourceFile = Path.GetFullPath(file),
            Cgroup = cgroup,
            UnixSocket = socket,
            Global = global,
            WebConsole = web,
            Metrics = metrics,
            AdminActions = actions,
        };
    }

    private static CgroupSettings ParseCgroup(YamlMap? map)
    {
        var rootText = map?.Scalar("root");
        var name = map?.Scalar("name")?.Trim().TrimStart('/') ?? "processmaster";
        if (map is not null && (name.Length == 0 || name.Split('/').Any(p => p is "" or ".." or ".")))
        {
            map.ErrorAt("name", "must be a relative cgroup path without empty, '.' or '..' components");
        }

        var settings = new CgroupSettings(
            Root: rootText is null ? CgroupSettings.DefaultRoot : Path.GetFullPath(rootText),
            // The usual place, written out as the original's README shows it, means "find cgroup2" just as leaving it out does.
            RootIsDefault: rootText is null || Path.GetFullPath(rootText).TrimEnd('/') == CgroupSettings.DefaultRoot,
            Name: name,
            MemoryMax: map?.Parse("memory_max", t => new Box<long?>(ByteSize.ParseLimit(t)))?.Value,
            MemorySwapMax: map?.Parse("memory_swap_max", t => new Box<long?>(ByteSize.ParseLimit(t)))?.Value,
            CpuMax: map?.Parse("cpu_max", t => new Box<CpuMax>(CpuMax.Parse(t)))?.Value ?? CpuMax.Unlimited,
            PidsMax: map?.Parse("pids_max", t => new Box<long?>(ParsePidsLimit(t)))?.Value,
            SubtreeControlAllow: map?.Bool("subtree_control_allow") ?? true);
        map?.Finish();
        return settings;
    }

    internal static long? ParsePidsLimit(string text)
    {
        if (ByteSize.IsMax(text))
        {
            return null;
        }

        return long.TryParse(text.Trim(), out var n) && n > 0
            ? n
            : throw new FormatException($"'{text}' is not a process count; use a positive number or MAX");
    }

    private static UnixSocketSettings ParseSocket(YamlMap? map, string baseDirectory, IUserDatabase users)
    {
        if (map is null)
        {
            return new UnixSocketSettings(UnixSocketSettings.DefaultPath, "root", "root", UnixSocketSettings.DefaultMode);
        }

        var path = map.Scalar("path");
        string? owner = map.Has("owner") ? map.Scalar("owner") : "root";
        string? group = map.Has("group") ? map.Scalar("group") : "root";
        if (owner is not null && users.FindUser(owner) is null)
        {
            map.ErrorAt("owner", $"user '{owner}' does not exist");
        }

        if (group is not null && users.FindGroup(group) is null)
        {
            map.ErrorAt("group", $"group '{group}' does not exist");
        }

        var settings = new UnixSocketSettings(
            path is null ? UnixSocketSettings.DefaultPath : Path.GetFullPath(path, baseDirectory),
            owner,
            group,
            map.Parse("mode", OctalMode.Parse) ?? UnixSocketSettings.DefaultMode);
        if (path is not null && System.Text.Encoding.UTF8.GetByteCount(settings.Path) > 107)
        {
            map.ErrorAt("path", "socket path is longer than the 107 bytes a unix socket address can hold");
        }

        map.Finish();
        return settings;
    }

    private static GlobalSettings? ParseGlobal(YamlMap? map, YamlMap root, string baseDirectory, IUserDatabase users)
    {
        if (map is null)
        {
            root.ErrorAt("global", "must set global.config_directory and/or global.auto_service_directory");
            return null;
        }

        var configDirectory = map.Scalar("config_directory");
        var autoDirectory = map.Scalar("auto_service_directory");
        var user = map.Scalar("default_service_user")?.Trim() ?? "root";
        var group = map.Scalar("default_service_group")?.Trim() ?? "root";
        if (users.FindUser(user) is null)
        {
            map.ErrorAt("default_service_user", $"user '{user}' does not exist");
        }

        if (users.FindGroup(group) is null)
        {
            map.ErrorAt("default_service_group", $"group '{group}' does not exist");
        }

        if (configDirectory is null && autoDirectory is null)
        {
            map.Error("set config_directory and/or auto_service_directory");
        }

        map.Finish();
        return new GlobalSettings(
            configDirectory is null ? null : Path.GetFullPath(configDirectory, baseDirectory),
            autoDirectory is null ? null : Path.GetFullPath(autoDirectory, baseDirectory),
            user,
            group);
    }

    private static WebConsoleSettings ParseWebConsole(YamlMap? map, string baseDirectory)
    {
        var bindText = map?.Scalar("bind")?.Trim() ?? "0.0.0.0";
        if (!TryParseBindAddress(bindText, out var bind))
        {
            map?.ErrorAt("bind", $"'{bindText}' is not an IP address (host names are not accepted)");
            bind = IPAddress.Any;
        }

        var tls = ParseTls(map?.Map("tls"), baseDirectory);

        var authMap = map?.Map("auth");
        var basicMap = authMap?.Map("basic");
        IReadOnlyList<string>? users = basicMap?.StringList("users");
        var usesDefault = users is null && (basicMap is null || !basicMap.Has("users"));
        if (basicMap is not null && users is { Count: 0 })
        {
            basicMap.ErrorAt("users", "the list is empty; add \"user:bcrypt-hash\" entries (pmctl password generate)");
        }

        if (users is not null && basicMap is not null)
        {
            CheckUserEntries(users, basicMap);
        }

        basicMap?.Finish();
        authMap?.Finish();

        var settings = new WebConsoleSettings(
            map?.Bool("enabled") ?? false,
            bind,
            (int)(map?.Integer("port", 1, 65535) ?? 9001),
            map?.Bool("allow_plaintext_remote") ?? false,
            tls,
            new EquatableArray<string>(users ?? []),
            usesDefault);
        map?.Finish();
        return settings;
    }

    private static TlsSettings ParseTls(YamlMap? tlsMap, string baseDirectory)
    {
        var tls = new TlsSettings(
            tlsMap?.Bool("enabled") ?? false,
            ResolveOptional(tlsMap?.Scalar("ca_pem"), baseDirectory),
            ResolveOptional(tlsMap?.Scalar("server_cert_pem"), baseDirectory),
            ResolveOptional(tlsMap?.Scalar("server_key_pem"), baseDirectory),
            tlsMap?.Scalar("client_host"),
            tlsMap?.Bool("mtls") ?? false);
        if (tlsMap is not null)
        {
            if (tls.Enabled && (tls.ServerCertPem is null) != (tls.ServerKeyPem is null))
            {
                tlsMap.Error("set both server_cert_pem and server_key_pem, or neither to generate a self-signed certificate");
            }

            if (tls.Mtls && tls.CaPem is null)
            {
                tlsMap.ErrorAt("mtls", "mtls needs ca_pem (the CA that signs client certificates)");
            }

            tlsMap.Finish();
        }

        return tls;
    }

    /// <summary>
    /// The <c>metrics:</c> section: its own listener, loopback by default; the console's users log in
    /// elsewhere, by the console's rules (TLS, or plain HTTP only when allowed outright).
    /// </summary>
    private static MetricsSettings ParseMetrics(YamlMap? map, string baseDirectory)
    {
        var bindText = map?.Scalar("bind")?.Trim() ?? "127.0.0.1";
        if (!TryParseBindAddress(bindText, out var bind))
        {
            map?.ErrorAt("bind", $"'{bindText}' is not an IP address (host names are not accepted)");
            bind = IPAddress.Loopback;
        }

        var settings = new MetricsSettings(
            map?.Bool("enabled") ?? false,
            bind,
            (int)(map?.Integer("port", 1, 65535) ?? MetricsSettings.DefaultPort),
            map?.Bool("allow_plaintext_remote") ?? false,
            ParseTls(map?.Map("tls"), baseDirectory));
        map?.Finish();
        return settings;
    }

    private static void CheckUserEntries(IReadOnlyList<string> users, YamlMap basicMap)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in users)
        {
            var colon = entry.IndexOf(':', StringComparison.Ordinal);
            var user = colon > 0 ? entry[..colon] : "";
            var hash = colon > 0 ? entry[(colon + 1)..] : "";
            if (user.Length == 0 || !IsBcryptHash(hash))
            {
                basicMap.ErrorAt("users", $"entry '{Redact(entry)}' is not \"user:bcrypt-hash\" ($2a$, $2b$ or $2y$; see pmctl password generate)");
            }
            else if (!seen.Add(user))
            {
                basicMap.ErrorAt("users", $"user '{user}' is listed twice");
            }
        }
    }

    internal static bool IsBcryptHash(string hash) =>
        hash.Length == 60 && hash[0] == '$' && hash[1] == '2' && hash[2] is 'a' or 'b' or 'y' && hash[3] == '$' &&
        char.IsAsciiDigit(hash[4]) && char.IsAsciiDigit(hash[5]) && hash[6] == '$';

    private static string Redact(string entry)
    {
        var colon = entry.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 ? entry[..colon] + ":…" : "…";
    }

    private static bool TryParseBindAddress(string bind, out IPAddress address)
    {
        var text = bind.StartsWith('[') && bind.EndsWith(']') ? bind[1..^1] : bind;
        return IPAddress.TryParse(text, out address!) && !text.Contains('%');
    }

    private static EquatableArray<AdminActionDefinition> ParseAdminActions(YamlMap? map)
    {
        if (map is null)
        {
            return EquatableArray<AdminActionDefinition>.Empty;
        }

        var actions = new List<AdminActionDefinition>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (id, action) in map.Entries())
        {
            if (id.Length == 0 || id.Trim() != id)
            {
                map.ErrorAt(id, "action id must not be empty or have leading/trailing spaces");
            }
            else if (!seen.Add(id))
            {
                map.ErrorAt(id, "duplicate admin action id (ids are compared case-insensitively)");
            }

            if (action is null)
            {
                continue;
            }

            var label = action.Scalar("label");
            if (action.Has("label") && string.IsNullOrWhiteSpace(label))
            {
                action.ErrorAt("label", "label must not be empty (omit it to use the id)");
            }

            var command = action.StringList("command");
            if (command is null || command.Count == 0 || command[0].Length == 0)
            {
                action.ErrorAt("command", "required: the command as an argv list, e.g. [\"/bin/sh\", \"-c\", \"...\"]");
            }

            action.Finish();
            actions.Add(new AdminActionDefinition(id, label ?? id, new EquatableArray<string>(command ?? [])));
        }

        return new EquatableArray<AdminActionDefinition>(actions.OrderBy(a => a.Id, StringComparer.Ordinal));
    }

    private static string? ResolveOptional(string? path, string baseDirectory) =>
        path is null ? null : Path.GetFullPath(path, baseDirectory);
}

/// <summary>Lets a nullable result ("MAX" means unlimited) pass through <see cref="YamlMap.Parse{T}"/>.</summary>
internal readonly record struct Box<T>(T Value);
