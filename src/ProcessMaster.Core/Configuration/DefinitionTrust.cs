using ProcessMaster.Core.Files;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Processes;

namespace ProcessMaster.Core.Configuration;

/// <summary>
/// A definition is trusted only as much as the people who can change its file. Root and whoever can
/// change the master config (they control the daemon's admin actions, i.e. root, already) may define
/// anything. A file that one other user can change (an auto-service's <c>service.yml</c> in its own
/// directory, say) defines a service of that user and nothing more: it runs as that user, in that user's
/// directory, logs there, and cannot ask the root daemon for provisioning, the daemon's environment,
/// another user's files (environment files outside its directory included), or a look-up of a device path. A file that a group or everyone can change is not loaded at all.
/// </summary>
public static class DefinitionTrust
{
    /// <summary>Why a file that <paramref name="untrusted"/> can change is not loaded at all, or null when it may be (confined to <see cref="Writers.SingleUser"/>).</summary>
    public static string? Refusal(Writers untrusted, IUserDatabase users) =>
        untrusted.IsNone || untrusted.SingleUser is not null
            ? null
            : $"can be changed by {untrusted.Describe(users)}; a definition that more than one user (or a group) can change is not loaded: make it and its directories writable by root, or by the service's own user only";

    /// <summary>
    /// Applies the limits of a definition that only <paramref name="writer"/> (besides trusted people) can
    /// change: returns it running as that user, or null with every violation collected against <paramref name="file"/>.
    /// </summary>
    public static ServiceDefinition? Confine(ServiceDefinition definition, uint writer, string file, IUserDatabase users, ConfigErrorCollector errors)
    {
        var before = errors.Errors.Count;
        var because = $"this file can be changed by uid {writer}";
        var account = users.FindUser(writer.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (account is null)
        {
            errors.Add(ConfigError.ForFile(file, $"{because}, who has no account; it is not loaded"));
            return null;
        }

        because = $"this file can be changed by {account.Name} (uid {writer})";
        var process = definition.Process;
        if (process.User is { } user && users.FindUser(user)?.Uid != writer)
        {
            Add("process.user", $"{because}, so its service may only run as {account.Name}");
        }

        if (process.Group is { } group && users.FindGroup(group) is { } chosen && chosen.Gid != account.Gid &&
            !users.SupplementaryGroups(account.Name, account.Gid).Contains(chosen.Gid))
        {
            Add("process.group", $"{because}, so its service may only run in one of {account.Name}'s groups");
        }

        if (process.InheritEnvironment)
        {
            Add("process.inherit_environment", $"{because}; the daemon's own environment is not given to it");
        }

        if (definition.Provisioning.Count > 0)
        {
            Add("provisioning", $"{because}; provisioning runs as root and is only taken from files root controls");
        }

        if (Owner(definition.WorkingDirectory) is { } owner && owner != writer)
        {
            Add("process.working_directory", $"{because}, so its service may only run in a directory {account.Name} owns ({definition.WorkingDirectory} is owned by uid {owner})");
        }

        // A path would be looked up as root at every start, and what that says (missing, not a device) would tell
        // the file's writer about paths only root can see.
        if (definition.Resources.IoBandwidth.Any(limit => !Values.BlockDeviceName.IsNumbers(limit.Device)))
        {
            Add("resources.io_bandwidth", $"{because}, so it may name devices only as MAJ:MIN (see lsblk); the daemon looks up no path for it");
        }

        var logs = definition.Logs;
        foreach (var (key, path) in new[] { ("logs.stdout", logs.Stdout), ("logs.stderr", logs.Stderr), ("logs.stop_command_stdout", logs.StopCommandStdout), ("logs.stop_command_stderr", logs.StopCommandStderr) })
        {
            if (path is not null && !Logs.ServiceLogFiles.IsContained(path, definition.WorkingDirectory))
            {
                Add(key, $"{because}, so the daemon only writes its logs inside its working directory ({path} is not)");
            }
        }

        // Read as root at every start: outside its directory, a root-owned file in dotenv form (another
        // service's secrets) would become this service's environment.
        foreach (var environmentFile in process.EnvironmentFiles)
        {
            if (!Logs.ServiceLogFiles.IsContained(environmentFile.Path, definition.WorkingDirectory))
            {
                Add("process.environment_file", $"{because}, so the daemon only reads its environment files inside its working directory ({environmentFile.Path} is not)");
            }
        }

        return errors.Errors.Count > before ? null : definition with { Process = process with { User = process.User ?? account.Name } };

        void Add(string key, string message) => errors.Add(new ConfigError(file, 0, 0, key, message));
    }

    private static uint? Owner(string path) =>
        Libc.StatxPath(Libc.AT_FDCWD, path, 0, Libc.STATX_BASIC_STATS, out var st) == 0 ? st.Uid : null;
}
