using System.Collections;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Supervision.Ports;

namespace ProcessMaster.Core.Processes;

/// <summary>
/// A service's environment: a minimal base (PATH, HOME, USER, LOGNAME, SHELL) plus its configured
/// variables, or the daemon's own environment when <c>inherit_environment</c> is set.
/// </summary>
public static class ServiceEnvironment
{
    public const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>What systemd tells the daemon about itself: never a service's business, even when it inherits the environment.</summary>
    private static readonly HashSet<string> DaemonOnly = new(StringComparer.Ordinal)
    {
        "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
    };

    public static List<string> Build(ProcessSettings process, UserAccount? user, IEnumerable<KeyValuePair<string, string>>? extra = null)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        if (process.InheritEnvironment)
        {
            foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
            {
                if (!DaemonOnly.Contains((string)entry.Key))
                {
                    variables[(string)entry.Key] = (string?)entry.Value ?? "";
                }
            }
        }
        else
        {
            variables["PATH"] = DefaultPath;
            variables["SHELL"] = "/bin/sh";
        }

        if (!process.InheritEnvironment || user is not null)
        {
            var name = user?.Name ?? "root";
            variables["HOME"] = user?.Home ?? "/root";
            variables["USER"] = name;
            variables["LOGNAME"] = name;
        }

        foreach (var (key, value) in extra ?? [])
        {
            variables[key] = value;
        }

        foreach (var variable in process.Environment)
        {
            variables[variable.Name] = variable.Value;
        }

        return variables.Select(v => $"{v.Key}={v.Value}").ToList();
    }

    /// <summary>Resolves <c>user</c>/<c>group</c> to ids; null when the service runs as the daemon (root).</summary>
    public static (UserAccount? User, Credentials? Credentials) ResolveCredentials(ProcessSettings process, IUserDatabase users)
    {
        if (process.User is null)
        {
            return (null, null);
        }

        var user = users.FindUser(process.User) ?? throw new SpawnException($"user '{process.User}' does not exist");
        var gid = user.Gid;
        if (process.Group is not null)
        {
            gid = (users.FindGroup(process.Group) ?? throw new SpawnException($"group '{process.Group}' does not exist")).Gid;
        }

        return (user, new Credentials(user.Uid, gid, users.SupplementaryGroups(user.Name, gid)));
    }
}
