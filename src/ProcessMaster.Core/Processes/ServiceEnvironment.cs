using System.Collections;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Configuration.Values;
using ProcessMaster.Core.Supervision.Ports;

namespace ProcessMaster.Core.Processes;

/// <summary>
/// A service's environment: a minimal base (PATH, HOME, USER, LOGNAME, SHELL), or the daemon's own
/// environment when <c>inherit_environment</c> is set; then its <c>environment_file</c>s; then its
/// configured variables, each expanded (<c>${NAME}</c>) from what comes before it. Its commands are
/// expanded from the result.
/// </summary>
public static class ServiceEnvironment
{
    /// <summary>What the configured variables may add up to once expanded: more than execve takes with the usual 8 MiB stack limit.</summary>
    public const long MaxExpandedBytes = 4L << 20;

    public const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>What systemd tells the daemon about itself: never a service's business, even when it inherits the environment.</summary>
    private static readonly HashSet<string> DaemonOnly = new(StringComparer.Ordinal)
    {
        "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
    };

    /// <summary>The names the base environment has, for checking <c>${NAME}</c> when a definition is loaded.</summary>
    public static HashSet<string> BaseNames(bool inherit, bool hasUser) => [.. Base(inherit, hasUser ? "user" : null, null).Keys];

    /// <param name="fromFiles">What the service's environment files say, in order (<see cref="EnvironmentFiles.Read"/>).</param>
    /// <exception cref="SpawnException">A configured value names a variable that is not set.</exception>
    public static Dictionary<string, string> Variables(ProcessSettings process, UserAccount? user,
        IEnumerable<KeyValuePair<string, string>>? extra = null, IEnumerable<KeyValuePair<string, string>>? fromFiles = null)
    {
        var variables = Base(process.InheritEnvironment, user?.Name, user?.Home);
        foreach (var (key, value) in (extra ?? []).Concat(fromFiles ?? []))
        {
            variables[key] = value;
        }

        long expanded = 0;
        foreach (var variable in process.Environment)
        {
            var value = Expand(variable.Value, variables, $"process.environment {variable.Name}");
            // Each value is bounded; so is their sum, or many entries that repeat each other would still balloon the daemon.
            expanded += value.Length;
            if (expanded > MaxExpandedBytes)
            {
                throw new SpawnException($"process.environment {variable.Name}: the variables are longer than {MaxExpandedBytes >> 20} MiB once expanded");
            }

            variables[variable.Name] = value;
        }

        return variables;
    }

    public static List<string> Build(ProcessSettings process, UserAccount? user, IEnumerable<KeyValuePair<string, string>>? extra = null) =>
        Render(Variables(process, user, extra));

    public static List<string> Render(Dictionary<string, string> variables) => [.. variables.Select(v => $"{v.Key}={v.Value}")];

    /// <summary>A command's words with <c>${NAME}</c> expanded from <paramref name="variables"/>.</summary>
    /// <param name="what">Which command, for the error (<c>process.start_command</c>).</param>
    /// <exception cref="SpawnException">A word names a variable that is not set.</exception>
    public static List<string> ExpandCommand(IReadOnlyList<string> command, Dictionary<string, string> variables, string what) =>
        [.. command.Select((word, i) => Expand(word, variables, $"{what}[{i}]"))];

    private static string Expand(string template, Dictionary<string, string> variables, string what)
    {
        string value;
        string? missing;
        try
        {
            value = VariableTemplate.Expand(template, name => variables.GetValueOrDefault(name), out missing);
        }
        catch (FormatException e)
        {
            throw new SpawnException($"{what}: {e.Message}");
        }

        return missing is null
            ? value
            : throw new SpawnException($"{what}: ${{{missing}}} is not set (not in the base environment, an environment_file or process.environment)");
    }

    private static Dictionary<string, string> Base(bool inherit, string? userName, string? home)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        if (inherit)
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

        if (!inherit || userName is not null)
        {
            var name = userName ?? "root";
            variables["HOME"] = home ?? "/root";
            variables["USER"] = name;
            variables["LOGNAME"] = name;
        }

        return variables;
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
