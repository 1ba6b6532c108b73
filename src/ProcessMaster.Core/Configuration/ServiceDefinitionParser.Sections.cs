using ProcessMaster.Core.Configuration.Values;
using ProcessMaster.Core.Configuration.Yaml;
using ProcessMaster.Core.Processes;

namespace ProcessMaster.Core.Configuration;

/// <summary>The logs, resources, restart_policy and provisioning sections.</summary>
public static partial class ServiceDefinitionParser
{
    private static LogSettings ParseLogs(YamlMap? logs, string workingDirectory)
    {
        string? PathOr(string key, string? fallback)
        {
            if (logs is null || !logs.Has(key))
            {
                return fallback is null ? null : Path.GetFullPath(fallback, workingDirectory);
            }

            var value = logs.Scalar(key);
            return value is null ? null : Path.GetFullPath(value, workingDirectory);
        }

        var mode = logs?.Parse("rotation_mode", text => text.Trim().ToLowerInvariant() switch
        {
            "size" => RotationMode.Size,
            "time" => RotationMode.Time,
            _ => throw new FormatException($"'{text}' is not a rotation mode; use size or time"),
        }) ?? RotationMode.Size;

        var size = logs?.Parse("rotation_size", ByteSize.Parse);
        var backups = logs?.Integer("rotation_backups", 0, 1000);
        var frequency = logs?.Parse("rotation_frequency", ParseFrequency);
        var maxAge = logs?.Parse("rotation_max_age", t => DurationText.Parse(t));
        var maxAgeMs = logs?.Integer("rotation_max_age_ms", 0, long.MaxValue / 10_000);
        if (logs is not null)
        {
            if (mode == RotationMode.Time && size is not null)
            {
                logs.ErrorAt("rotation_size", "only applies to rotation_mode: size");
            }

            if (mode == RotationMode.Size)
            {
                foreach (var key in new[] { "rotation_frequency", "rotation_max_age", "rotation_max_age_ms" })
                {
                    if (logs.Has(key) && !logs.IsNull(key))
                    {
                        logs.ErrorAt(key, "only applies to rotation_mode: time");
                    }
                }
            }

            if (maxAge is not null && maxAgeMs is not null)
            {
                logs.ErrorAt("rotation_max_age_ms", "set rotation_max_age or rotation_max_age_ms, not both");
            }

            if (size is <= 0)
            {
                logs.ErrorAt("rotation_size", "must be larger than zero");
            }
        }

        var hints = new List<string>();
        foreach (var hint in logs?.StringList("hints") ?? [])
        {
            var full = Path.GetFullPath(hint, workingDirectory);
            if (!IsInside(full, workingDirectory))
            {
                // The original dropped such a hint and ran the service; so does this, saying so.
                logs!.WarnAt("hints", $"'{hint}' is outside the working directory {workingDirectory}; this hint is ignored (hints must stay inside it)");
            }
            else
            {
                hints.Add(full);
            }
        }

        // rotation_max_age defaults to 30 days in time mode; 0 keeps rotated files forever.
        TimeSpan? age = maxAge ?? (maxAgeMs is { } ms ? TimeSpan.FromMilliseconds(ms) : mode == RotationMode.Time ? TimeSpan.FromDays(30) : null);
        // supervisord's redirect_stderr: the literal word (a file of that name is "./stdout").
        var stderrToStdout = logs is not null && logs.Has("stderr") && logs.Scalar("stderr") == "stdout";
        var settings = new LogSettings(
            PathOr("stdout", "./logs/stdout.log"),
            stderrToStdout ? null : PathOr("stderr", "./logs/stderr.log"),
            mode,
            size ?? LogSettings.DefaultRotationSize,
            (int?)backups ?? (mode == RotationMode.Size ? LogSettings.DefaultRotationBackups : null),
            frequency ?? (mode == RotationMode.Time ? RotationFrequency.Daily : RotationFrequency.None),
            age == TimeSpan.Zero ? null : age,
            logs?.Bool("compression_enabled") ?? true,
            PathOr("stop_command_stdout", "./logs/stop_command_stdout.log"),
            PathOr("stop_command_stderr", "./logs/stop_command_stderr.log"),
            new EquatableArray<string>(hints))
        {
            StderrToStdout = stderrToStdout,
        };
        logs?.Finish();
        return settings;
    }

    private static RotationFrequency ParseFrequency(string text) => text.Trim().ToLowerInvariant() switch
    {
        "minutely" => RotationFrequency.Minutely,
        "hourly" => RotationFrequency.Hourly,
        "daily" => RotationFrequency.Daily,
        "weekly" => RotationFrequency.Weekly,
        "monthly" => RotationFrequency.Monthly,
        "none" => RotationFrequency.None,
        _ => throw new FormatException($"'{text}' is not a rotation frequency; use minutely, hourly, daily, weekly, monthly or none"),
    };

    internal static bool IsInside(string path, string directory)
    {
        var dir = Path.TrimEndingDirectorySeparator(directory);
        return path == dir || path.StartsWith(dir + "/", StringComparison.Ordinal);
    }

    private static ResourceSettings ParseResources(YamlMap? resources)
    {
        if (resources is null)
        {
            return ResourceSettings.Unlimited;
        }

        var settings = new ResourceSettings(
            resources.Parse("max_cpu", t => new Box<CpuLimit?>(CpuLimit.ParseLimit(t)))?.Value,
            resources.Parse("max_memory", t => new Box<long?>(ByteSize.ParseLimit(t)))?.Value,
            // An omitted max_swap with the section present means no swap (the seed's documented default).
            resources.Has("max_swap")
                ? resources.Parse("max_swap", t => new Box<long?>(ByteSize.ParseLimit(t)))?.Value
                : 0,
            resources.Parse("max_pids", t => new Box<long?>(MasterConfigParser.ParsePidsLimit(t)))?.Value,
            (int?)resources.Integer("io_weight", 1, 10_000),
            ParseIoBandwidth(resources),
            SwapDefaulted: !resources.Has("max_swap"));
        if (settings.MemoryMax is { } memory && memory < 4096)
        {
            resources.ErrorAt("max_memory", "is below one page (4 KiB); did you forget a unit such as MiB?");
        }

        resources.Finish();
        return settings;
    }

    private static EquatableArray<IoBandwidthLimit> ParseIoBandwidth(YamlMap resources)
    {
        var limits = new List<IoBandwidthLimit>();
        foreach (var entry in resources.MapList("io_bandwidth") ?? [])
        {
            var device = entry.ParseObject("device", BlockDeviceName.Parse);
            if (!entry.Has("device"))
            {
                entry.Error("needs a device: MAJ:MIN (e.g. \"253:0\") or a path such as /dev/vda");
            }

            var limit = new IoBandwidthLimit(device ?? "",
                entry.Parse("max_read_bytes_per_second", t => new Box<long?>(ParseRate(t, IoBandwidthLimit.MinBytesPerSecond, ByteSize.Parse, "bytes per second")))?.Value,
                entry.Parse("max_write_bytes_per_second", t => new Box<long?>(ParseRate(t, IoBandwidthLimit.MinBytesPerSecond, ByteSize.Parse, "bytes per second")))?.Value,
                entry.Parse("max_read_iops", t => new Box<long?>(ParseRate(t, IoBandwidthLimit.MinIops, ParseCount, "operations per second")))?.Value,
                entry.Parse("max_write_iops", t => new Box<long?>(ParseRate(t, IoBandwidthLimit.MinIops, ParseCount, "operations per second")))?.Value);
            if (!entry.Has("max_read_bytes_per_second") && !entry.Has("max_write_bytes_per_second")
                && !entry.Has("max_read_iops") && !entry.Has("max_write_iops"))
            {
                entry.Error("limits nothing; set max_read_bytes_per_second, max_write_bytes_per_second, max_read_iops or max_write_iops");
            }

            if (device is not null && limits.Any(l => l.Device == device))
            {
                entry.ErrorAt("device", $"{device} has an io_bandwidth entry already; put all its limits in one entry");
            }

            entry.Finish();
            limits.Add(limit);
        }

        return new EquatableArray<IoBandwidthLimit>(limits);
    }

    /// <summary>A rate of at least <paramref name="minimum"/>, or MAX (null: unlimited).</summary>
    private static long? ParseRate(string text, long minimum, Func<string, long> parse, string unit)
    {
        if (ByteSize.IsMax(text))
        {
            return null;
        }

        var value = parse(text);
        return value >= minimum ? value : throw new FormatException($"{value} {unit} is below the minimum of {minimum} (or use MAX)");
    }

    private static long ParseCount(string text) =>
        long.TryParse(text.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new FormatException($"'{text}' is not a whole number of operations per second");

    private static RestartSettings? ParseRestart(YamlMap root, bool isCron)
    {
        var map = root.Map("restart_policy");
        if (map is null)
        {
            if (isCron && root.Has("restart_policy") && !root.IsNull("restart_policy"))
            {
                root.ErrorAt("restart_policy", "a cron job (process.schedule) cannot have a restart_policy");
            }

            return isCron ? null : RestartSettings.Default;
        }

        if (isCron)
        {
            root.ErrorAt("restart_policy", "a cron job (process.schedule) cannot have a restart_policy");
        }

        var policy = map.Parse("policy", text => text.Trim().ToLowerInvariant() switch
        {
            "always" => RestartPolicy.Always,
            "never" => RestartPolicy.Never,
            "on-failure" => RestartPolicy.OnFailure,
            _ => throw new FormatException($"'{text}' is not a restart policy; use always, on-failure or never"),
        });
        if (!map.Has("policy"))
        {
            map.Error("missing required key 'policy' (always, on-failure or never)");
        }

        var backoff = map.Integer("restart_backoff_ms", 0, 86_400_000);
        var successCodes = map.IntegerList("success_exit_codes", 0, 255);
        var minUptime = map.Parse("min_uptime", t => DurationText.Parse(t, bareNumberIsMilliseconds: true));
        var tolerance = map.Map("tolerance");
        var maxRestarts = tolerance?.Integer("max_restarts", 0, MaxRestartsLimit);
        var window = tolerance?.Parse("duration", t => DurationText.Parse(t, bareNumberIsMilliseconds: true));
        tolerance?.Finish();

        if (policy == RestartPolicy.Never)
        {
            foreach (var key in (ReadOnlySpan<string>)["restart_backoff_ms", "tolerance", "min_uptime"])
            {
                if (map.Has(key))
                {
                    map.ErrorAt(key, "does not apply to policy: never (nothing is restarted)");
                }
            }
        }

        if (successCodes is { Count: 0 })
        {
            map.ErrorAt("success_exit_codes", "must name at least one exit code (the default is [0])");
        }

        if (window is { } w && w <= TimeSpan.Zero)
        {
            tolerance!.ErrorAt("duration", "must be longer than zero");
        }

        if (minUptime is { } up && up < TimeSpan.Zero)
        {
            map.ErrorAt("min_uptime", "must not be negative");
        }

        map.Finish();
        var defaults = RestartSettings.Default;
        return new RestartSettings(
            policy ?? RestartPolicy.Always,
            backoff is { } b ? TimeSpan.FromMilliseconds(b) : defaults.Backoff,
            (int?)maxRestarts ?? defaults.MaxRestarts,
            window ?? defaults.Window)
        {
            SuccessExitCodes = successCodes is { Count: > 0 } codes ? new(codes.Distinct().Select(c => (int)c)) : RestartSettings.DefaultSuccessExitCodes,
            MinUptime = minUptime ?? RestartSettings.DefaultMinUptime,
        };
    }

    private static EquatableArray<ProvisioningStep> ParseProvisioning(IReadOnlyList<YamlMap>? entries, string workingDirectory, IUserDatabase users)
    {
        if (entries is null)
        {
            return EquatableArray<ProvisioningStep>.Empty;
        }

        var steps = new List<ProvisioningStep>(entries.Count);
        foreach (var entry in entries)
        {
            var path = entry.Scalar("path");
            if (path is null || path.Trim().Length == 0)
            {
                entry.Error("missing required key 'path'");
            }

            var ownership = entry.Map("ownership");
            var owner = ownership?.Scalar("owner")?.Trim();
            var group = ownership?.Scalar("group")?.Trim();
            var recursive = ownership?.Bool("recursive") ?? false;
            if (owner is not null && users.FindUser(owner) is null)
            {
                ownership!.ErrorAt("owner", $"user '{owner}' does not exist");
            }

            if (group is not null && users.FindGroup(group) is null)
            {
                ownership!.ErrorAt("group", $"group '{group}' does not exist");
            }

            ownership?.Finish();
            int? mode = entry.Scalar("mode") is { Length: > 0 } ? entry.Parse("mode", OctalMode.Parse) : null;
            var capability = entry.Bool("add_net_bind_capability") ?? false;
            entry.Finish();
            if (path is not null)
            {
                steps.Add(new ProvisioningStep(Path.GetFullPath(path, workingDirectory), owner, group, recursive, mode, capability));
            }
        }

        return new EquatableArray<ProvisioningStep>(steps);
    }
}
