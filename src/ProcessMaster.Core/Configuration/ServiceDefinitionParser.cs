using ProcessMaster.Core.Configuration.Values;
using ProcessMaster.Core.Configuration.Yaml;
using ProcessMaster.Core.Processes;

namespace ProcessMaster.Core.Configuration;

/// <summary>What a service file is parsed against.</summary>
/// <param name="File">The file, as it should appear in error messages.</param>
/// <param name="DerivedName">The name when <c>application</c> is omitted (file stem, or directory name).</param>
/// <param name="AutoServiceDirectory">For an auto-service: its directory, the default working directory.</param>
public sealed record ServiceParseContext(
    string File,
    string DerivedName,
    string? AutoServiceDirectory,
    IUserDatabase Users,
    Func<string, byte[]> ReadFile,
    TimeZoneInfo LocalZone);

/// <summary>
/// Binds and validates one service definition: every value is checked here, at load, so that a bad file
/// is reported before anything runs. Pure apart from user lookups and <c>@file://</c> reads (injected).
/// </summary>
public static partial class ServiceDefinitionParser
{
    public const int MaxRestartsLimit = 500;

    /// <summary>Parses <paramref name="text"/>; null (with errors collected) when it is not usable.</summary>
    public static ServiceDefinition? Parse(string text, ServiceParseContext context, ConfigErrorCollector errors)
    {
        var before = errors.Errors.Count;
        var root = YamlDocument.ParseMapping(context.File, text, errors);
        if (root is null)
        {
            return null;
        }

        var name = ParseName(root, context);
        var process = root.Map("process");
        if (process is null)
        {
            root.Error("missing required section 'process' (at least process.start_command and process.working_directory)");
        }

        var workingDirectory = ParseWorkingDirectory(process, root, context, name);
        var processSettings = ParseProcess(process, context, workingDirectory);
        var schedule = ParseSchedule(process, context);
        var logs = ParseLogs(root.Map("logs"), workingDirectory);
        var resources = ParseResources(root.Map("resources"));
        var restart = ParseRestart(root, schedule is not null);
        var enabled = ParseEnabled(root.Map("global"));
        var provisioning = ParseProvisioning(root.MapList("provisioning"), workingDirectory, context.Users);
        var dependsOn = ParseDependencies(root, schedule is not null);
        var readiness = ParseProbe(root, "readiness_probe", readiness: true, schedule is not null);
        var liveness = ParseProbe(root, "liveness_probe", readiness: false, schedule is not null);
        process?.Finish();
        root.Finish();

        if (errors.Errors.Count > before || processSettings is null)
        {
            return null;
        }

        return new ServiceDefinition
        {
            Name = name,
            SourceFile = Path.GetFullPath(context.File),
            IsAutoService = context.AutoServiceDirectory is not null,
            WorkingDirectory = workingDirectory,
            Process = processSettings,
            Schedule = schedule,
            Logs = logs,
            Resources = resources,
            Restart = restart,
            Enabled = enabled,
            Provisioning = provisioning,
            DependsOn = dependsOn,
            Readiness = readiness,
            Liveness = liveness,
        };
    }

    private static string ParseName(YamlMap root, ServiceParseContext context)
    {
        var declared = root.Scalar("application")?.Trim();
        var name = string.IsNullOrEmpty(declared) ? context.DerivedName : declared;
        var problem = ApplicationName.Validate(name);
        if (problem is not null)
        {
            if (root.Has("application") && !string.IsNullOrEmpty(declared))
            {
                root.ErrorAt("application", problem);
            }
            else
            {
                root.Error($"{problem} (derived from the file name; set 'application:' to choose another)");
            }
        }
        else if (context.AutoServiceDirectory is not null && declared is { Length: > 0 } && declared != context.DerivedName)
        {
            root.ErrorAt("application", $"an auto-service is named after its directory; expected '{context.DerivedName}' or nothing");
        }

        return name;
    }

    private static string ParseWorkingDirectory(YamlMap? process, YamlMap root, ServiceParseContext context, string name)
    {
        var configured = process?.Scalar("working_directory");
        if (configured is not null)
        {
            if (configured.Trim().Length == 0)
            {
                process!.ErrorAt("working_directory", "must not be empty");
            }

            var baseDirectory = Path.GetDirectoryName(Path.GetFullPath(context.File)) ?? "/";
            return Path.TrimEndingDirectorySeparator(Path.GetFullPath(configured, baseDirectory));
        }

        if (context.AutoServiceDirectory is not null)
        {
            return Path.Combine(context.AutoServiceDirectory, name);
        }

        if (process is not null)
        {
            process.Error("missing required key 'working_directory'");
        }

        return "/";
    }

    private static ProcessSettings? ParseProcess(YamlMap? process, ServiceParseContext context, string workingDirectory)
    {
        if (process is null)
        {
            return null;
        }

        var start = ParseCommand(process, "start_command");
        if (process.Has("start_command") && process.IsNull("start_command"))
        {
            process.ErrorAt("start_command", "must be a non-empty argv list or command line, e.g. [\"./run.sh\"] or \"./run.sh --port 8080\"");
        }

        var stopCommand = ParseCommand(process, "stop_command");

        var signal = process.Parse("stop_signal", SignalName.Parse);

        var grace = process.Integer("stop_grace_period_ms", 0, 86_400_000) ?? (long)ProcessSettings.DefaultStopGracePeriod.TotalMilliseconds;

        var user = process.Scalar("user")?.Trim();
        var group = process.Scalar("group")?.Trim();
        if (user is not null && context.Users.FindUser(user) is null)
        {
            process.ErrorAt("user", $"user '{user}' does not exist");
        }

        if (group is not null)
        {
            if (user is null)
            {
                process.ErrorAt("group", "process.group needs process.user (the service would otherwise run as root)");
            }
            else if (context.Users.FindGroup(group) is null)
            {
                process.ErrorAt("group", $"group '{group}' does not exist");
            }
        }

        var inherit = process.Bool("inherit_environment") ?? false;
        var environmentFiles = ParseEnvironmentFiles(process, workingDirectory);
        var known = KnownAtLoad(inherit, user is not null, environmentFiles.Count > 0);
        var environment = ParseEnvironment(process, context, known);
        CheckCommandReferences(start, known, process.Errors);
        CheckCommandReferences(stopCommand, known, process.Errors);
        var decorate = process.Bool("decorate_argv0") ?? false;

        return Tune(process, new ProcessSettings(
            new EquatableArray<string>(start is not null ? start.Select(w => w.Word) : ["./run.sh"]),
            signal ?? ProcessSettings.DefaultStopSignal,
            stopCommand is null ? (EquatableArray<string>?)null : new EquatableArray<string>(stopCommand.Select(w => w.Word)),
            TimeSpan.FromMilliseconds(grace),
            user,
            group,
            environment,
            inherit,
            decorate)
        {
            EnvironmentFiles = environmentFiles,
            KillMode = process.Parse("kill_mode", text => text.Trim() switch
            {
                "control-group" => KillMode.ControlGroup,
                "mixed" => KillMode.Mixed,
                _ => throw new FormatException($"'{text}' is not a kill mode; use control-group or mixed"),
            }) ?? KillMode.ControlGroup,
            ExitType = process.Parse("exit_type", text => text.Trim() switch
            {
                "cgroup" => ExitType.Cgroup,
                "main" => ExitType.Main,
                _ => throw new FormatException($"'{text}' is not an exit type; use cgroup or main"),
            }) ?? ExitType.Cgroup,
            SignalAfterStopCommand = stopCommand is not null && signal is not null,
        });
    }

    /// <param name="known">Names set before these variables (each variable adds its own for those after it); null: not known at load.</param>
    private static EquatableArray<EnvironmentVariable> ParseEnvironment(YamlMap process, ServiceParseContext context, ISet<string>? known)
    {
        var entries = process.MapList("environment");
        if (entries is null)
        {
            return EquatableArray<EnvironmentVariable>.Empty;
        }

        var variables = new List<EnvironmentVariable>(entries.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            var name = entry.Scalar("name");
            var value = entry.Has("value") ? entry.Scalar("value") ?? "" : null;
            if (name is null)
            {
                entry.Error("missing required key 'name'");
            }
            else
            {
                try
                {
                    EnvironmentValue.CheckName(name);
                    if (!seen.Add(name))
                    {
                        entry.ErrorAt("name", $"'{name}' is set twice");
                    }
                }
                catch (FormatException e)
                {
                    entry.ErrorAt("name", e.Message);
                }
            }

            if (value is null)
            {
                entry.Error("missing required key 'value'");
            }
            else if (name is not null)
            {
                try
                {
                    if (EnvironmentValue.IsIndirect(value))
                    {
                        variables.Add(new EnvironmentVariable(name, VariableTemplate.Escape(EnvironmentValue.Decode(value, context.ReadFile))));
                    }
                    else
                    {
                        CheckReferences(value, known, message => entry.ErrorAt("value", message));
                        variables.Add(new EnvironmentVariable(name, value));
                    }
                }
                catch (FormatException e)
                {
                    entry.ErrorAt("value", e.Message);
                }

                known?.Add(name);
            }

            entry.Finish();
        }

        return new EquatableArray<EnvironmentVariable>(variables);
    }

    private static ScheduleSettings? ParseSchedule(YamlMap? process, ServiceParseContext context)
    {
        if (process is null)
        {
            return null;
        }

        var zoneName = process.Scalar("timezone");
        var zone = context.LocalZone;
        if (zoneName is not null)
        {
            try
            {
                zone = TimeZoneInfo.FindSystemTimeZoneById(zoneName.Trim());
            }
            catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
            {
                process.ErrorAt("timezone", $"unknown time zone '{zoneName}'; use an IANA name such as Europe/Berlin or UTC");
            }
        }

        var cron = process.ParseObject("schedule", text => CronSchedule.Parse(text, zone));
        var notBefore = process.Parse("not_before", t => ScheduleBound.Parse(t, zone, endOfDayForDate: false));
        var notAfter = process.Parse("not_after", t => ScheduleBound.Parse(t, zone, endOfDayForDate: true));
        var maxTime = process.Scalar("max_time_per_run") is { } limitText
            && !limitText.Trim().Equals("never", StringComparison.OrdinalIgnoreCase) && limitText.Trim().Length > 0
            ? process.Parse("max_time_per_run", t => DurationText.Parse(t))
            : null;

        if (cron is null)
        {
            foreach (var key in new[] { "not_before", "not_after", "max_time_per_run", "timezone" })
            {
                if (process.Has(key) && !process.IsNull(key) && !process.Has("schedule"))
                {
                    process.ErrorAt(key, "only applies to cron jobs (set process.schedule)");
                }
            }

            return null;
        }

        if (notBefore is not null && notAfter is not null && notBefore > notAfter)
        {
            process.ErrorAt("not_after", "must not be earlier than not_before");
        }

        if (maxTime is { } limit && limit <= TimeSpan.Zero)
        {
            process.ErrorAt("max_time_per_run", "must be longer than zero (or \"never\")");
        }

        return new ScheduleSettings(cron, notBefore, notAfter, maxTime);
    }

    private static bool ParseEnabled(YamlMap? global)
    {
        var enabled = global?.Bool("enabled") ?? true;
        global?.Finish();
        return enabled;
    }
}
