using System.Globalization;
using ProcessMaster.Core.Configuration.Values;
using ProcessMaster.Core.Configuration.Yaml;
using YamlDotNet.RepresentationModel;

namespace ProcessMaster.Core.Configuration;

/// <summary>The depends_on, readiness_probe and liveness_probe sections.</summary>
public static partial class ServiceDefinitionParser
{
    public const int MaxThreshold = 1000;

    /// <summary>
    /// <c>depends_on</c>: a list of names (each <c>condition: started</c>), or a mapping of names to
    /// <c>{condition, timeout, restart}</c>. What needs the whole catalog (unknown names, cycles, what the
    /// dependency is) is checked once every file is loaded (<see cref="DependencyCheck"/>).
    /// </summary>
    private static EquatableArray<Dependency> ParseDependencies(YamlMap root, bool isCron)
    {
        var node = root.Node("depends_on");
        if (node is null || root.IsNull("depends_on"))
        {
            return EquatableArray<Dependency>.Empty;
        }

        if (isCron)
        {
            root.ErrorAt("depends_on", "a cron job (process.schedule) cannot have depends_on");
            return EquatableArray<Dependency>.Empty;
        }

        var dependencies = new List<Dependency>();
        if (node is YamlSequenceNode)
        {
            foreach (var (name, at) in root.StringListWithMarks("depends_on") ?? [])
            {
                dependencies.Add(new Dependency(name.Trim(), DependencyCondition.Started, null, Restart: false) { At = at });
            }
        }
        else if (root.Map("depends_on") is { } map)
        {
            foreach (var (name, entry) in map.Entries(allowNull: true))
            {
                dependencies.Add(ParseDependency(name.Trim(), entry, map.MarkOf(name)));
            }

            map.Finish();
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var dependency in dependencies)
        {
            if (ApplicationName.Validate(dependency.Service) is { } problem)
            {
                root.Errors.Add(dependency.At.Error(problem));
            }
            else if (!seen.Add(dependency.Service))
            {
                root.Errors.Add(dependency.At.Error($"'{dependency.Service}' is listed twice"));
            }
        }

        return new EquatableArray<Dependency>(dependencies);
    }

    private static Dependency ParseDependency(string name, YamlMap? entry, SourceMark at)
    {
        var condition = entry?.Parse("condition", text => text.Trim().ToLowerInvariant() switch
        {
            "started" => DependencyCondition.Started,
            "healthy" => DependencyCondition.Healthy,
            "completed_successfully" => DependencyCondition.CompletedSuccessfully,
            _ => throw new FormatException($"'{text}' is not a condition; use started, healthy or completed_successfully"),
        }) ?? DependencyCondition.Started;
        var timeout = entry?.Parse("timeout", t => DurationText.Parse(t));
        if (timeout is { } t && t <= TimeSpan.Zero)
        {
            entry!.ErrorAt("timeout", "must be longer than zero (leave it out to wait as long as it takes)");
        }

        var restart = entry?.Bool("restart") ?? false;
        entry?.Finish();
        return new Dependency(name, condition, timeout, restart) { At = at };
    }

    /// <summary><c>readiness_probe</c> / <c>liveness_probe</c>: exactly one of exec, http, tcp and (readiness only) notify.</summary>
    private static ProbeSettings? ParseProbe(YamlMap root, string key, bool readiness, bool isCron)
    {
        var map = root.Map(key);
        if (map is null)
        {
            return null;
        }

        if (isCron)
        {
            root.ErrorAt(key, "a cron job (process.schedule) cannot have probes");
        }

        var checks = new[] { "exec", "http", "tcp", "notify" }.Where(map.Has).ToList();
        if (checks.Count != 1)
        {
            map.Error(checks.Count == 0
                ? "needs one check: exec, http, tcp" + (readiness ? " or notify" : "")
                : $"set exactly one check, not {string.Join(" and ", checks)}");
        }

        var exec = ParseExecProbe(map.Map("exec"));
        var http = ParseHttpProbe(map.Map("http"));
        var tcp = ParseTcpProbe(map.Map("tcp"));
        NotifyProbe? notify = null;
        if (map.Has("notify"))
        {
            if (!readiness)
            {
                map.ErrorAt("notify", "only a readiness_probe can be notify; a notify service's liveness is its watchdog (readiness_probe.notify.watchdog_sec)");
            }

            var settings = map.Map("notify");
            var watchdog = settings?.Parse("watchdog_sec", ParseWatchdogSec);
            if (watchdog is { } w && w < TimeSpan.FromMilliseconds(10))
            {
                settings!.ErrorAt("watchdog_sec", "must be at least 10ms");
            }

            settings?.Finish();
            notify = new NotifyProbe(watchdog);
            foreach (var timing in new[] { "initial_delay", "period", "timeout", "success_threshold", "failure_threshold" })
            {
                if (map.Has(timing))
                {
                    map.ErrorAt(timing, "does not apply to notify (the service says when it is ready)");
                }
            }
        }

        var initialDelay = map.Parse("initial_delay", t => DurationText.Parse(t)) ?? TimeSpan.Zero;
        var period = map.Parse("period", t => DurationText.Parse(t)) ?? ProbeSettings.DefaultPeriod;
        var timeout = map.Parse("timeout", t => DurationText.Parse(t)) ?? ProbeSettings.DefaultTimeout;
        var successes = (int?)map.Integer("success_threshold", 1, MaxThreshold) ?? ProbeSettings.DefaultSuccessThreshold;
        var failures = (int?)map.Integer("failure_threshold", 1, MaxThreshold) ?? ProbeSettings.DefaultFailureThreshold;
        if (period < TimeSpan.FromMilliseconds(100))
        {
            map.ErrorAt("period", "must be at least 100ms");
        }

        if (timeout <= TimeSpan.Zero || timeout > period)
        {
            map.ErrorAt("timeout", $"must be longer than zero and at most the period ({DurationText.Format(period)}), so checks never overlap");
        }

        if (!readiness && successes != 1)
        {
            map.ErrorAt("success_threshold", "must be 1 for a liveness probe (one success shows it is alive)");
        }

        map.Finish();
        return new ProbeSettings(exec, http, tcp, notify, initialDelay, period, timeout, successes, failures);
    }

    private static ExecProbe? ParseExecProbe(YamlMap? map)
    {
        if (map is null)
        {
            return null;
        }

        var command = map.StringList("command");
        if (command is not { Count: > 0 } || command[0].Length == 0)
        {
            map.Error("needs command: a non-empty argv list, e.g. [\"pg_isready\", \"-q\"]");
        }

        map.Finish();
        return new ExecProbe(new EquatableArray<string>(command ?? []));
    }

    private static HttpProbe? ParseHttpProbe(YamlMap? map)
    {
        if (map is null)
        {
            return null;
        }

        var url = map.ParseObject("url", text =>
            Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Host.Length > 0
                ? uri
                : throw new FormatException($"'{text}' is not an http:// or https:// URL"));
        if (!map.Has("url"))
        {
            map.Error("needs url, e.g. http://127.0.0.1:8080/health");
        }

        var (from, to) = map.Parse("status", ParseStatusRange) ?? (200, 399);
        var host = map.Scalar("host")?.Trim();
        var verify = map.Bool("verify_tls") ?? true;
        map.Finish();
        return url is null ? null : new HttpProbe(url, from, to, host is { Length: > 0 } ? host : null, verify);
    }

    /// <summary><c>200</c> or <c>200-399</c>.</summary>
    private static (int From, int To) ParseStatusRange(string text)
    {
        var parts = text.Split('-', 2, StringSplitOptions.TrimEntries);
        if (int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var from))
        {
            var to = from;
            if ((parts.Length == 1 || int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out to)) &&
                from is >= 100 and <= 599 && to >= from && to <= 599)
            {
                return (from, to);
            }
        }

        throw new FormatException($"'{text}' is not a status or range of statuses, e.g. 200 or 200-399");
    }

    private static TcpProbe? ParseTcpProbe(YamlMap? map)
    {
        if (map is null)
        {
            return null;
        }

        var host = map.Scalar("host")?.Trim() is { Length: > 0 } h ? h : "127.0.0.1";
        var port = (int?)map.Integer("port", 1, 65535);
        if (!map.Has("port"))
        {
            map.Error("needs port");
        }

        map.Finish();
        return port is { } p ? new TcpProbe(host, p) : null;
    }

    /// <summary>Seconds when bare, as systemd's <c>WatchdogSec=</c> reads it, or any duration (<c>500ms</c>, <c>1m</c>).</summary>
    private static TimeSpan ParseWatchdogSec(string text) =>
        decimal.TryParse(text.Trim(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds)
            ? DurationText.Parse(seconds.ToString(CultureInfo.InvariantCulture) + "s")
            : DurationText.Parse(text);
}
