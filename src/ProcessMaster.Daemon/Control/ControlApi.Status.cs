using ProcessMaster.Core.Supervision;
using ProcessMaster.Protocol;

namespace ProcessMaster.Daemon.Control;

/// <summary><c>status</c>: snapshots plus live cgroup facts (pids, memory, CPU).</summary>
internal sealed partial class ControlApi
{
    /// <summary>CPU percentages are measured between two status calls at least this far apart.</summary>
    private static readonly TimeSpan MinimumCpuSampleInterval = TimeSpan.FromMilliseconds(500);

    private readonly Lock _cpuLock = new();
    private readonly Dictionary<string, (long Usage, DateTimeOffset At)> _cpuSamples = new(StringComparer.Ordinal);

    /// <summary>Every service (or one) with live cgroup facts; also pushed to the web console.</summary>
    public StatusResult Status(string? name)
    {
        var now = manager.Context.Time.GetUtcNow();
        var targets = manager.Targets(name);
        // Each service costs a handful of cgroup file reads; they are independent, so use every core.
        var statuses = new ServiceStatus[targets.Count];
        Parallel.For(0, targets.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            i => statuses[i] = Describe(targets[i], now, detailed: name is not null));
        return new StatusResult(now, [.. statuses]);
    }

    /// <param name="detailed">One service was asked for: what is read from its main process too.</param>
    private ServiceStatus Describe(ServiceSupervisor service, DateTimeOffset now, bool detailed)
    {
        var snapshot = service.Snapshot;
        var definition = snapshot.Definition;
        // An idle service's cgroup is normally empty: one read says so, and nothing more needs reading.
        var pids = LivePids(service);
        var usage = pids.Count > 0 ? service.Readings().ReadUsage() : null;
        var running = snapshot.State == ServiceState.Running;
        var marker = definition.ProvisioningMarker;
        return new ServiceStatus
        {
            Name = definition.Name,
            Kind = definition.IsCron ? "cron" : "service",
            State = snapshot.State.Name(),
            StateSince = snapshot.StateSince,
            Enabled = definition.Enabled,
            Pids = pids,
            MainPid = snapshot.MainPid,
            UptimeSeconds = running && snapshot.StateSince is { } since ? Math.Round((now - since).TotalSeconds, 3) : null,
            Restarts = snapshot.Restarts,
            LastExitCode = snapshot.LastExit?.Code,
            LastExitSignal = snapshot.LastExit?.Signal is { } signal ? Core.Configuration.Values.SignalName.Format(signal) : null,
            LastError = snapshot.LastError,
            Limits = detailed && snapshot.MainPid is { } main
                ? [.. Core.Processes.ProcLimits.Read(main).Select(l => new LimitStatus(l.Name, l.Soft, l.Hard))]
                : null,
            LastRun = snapshot.LastStartAttempt,
            NextRun = snapshot.NextRun,
            Schedule = definition.Schedule?.Cron.Text,
            LastRunOvertime = snapshot.LastRunOvertime,
            LastRunDurationSeconds = snapshot.LastRunDuration is { } duration ? Math.Round(duration.TotalSeconds, 3) : null,
            StoppedByOperator = snapshot.StoppedByOperator,
            Cgroup = service.Cgroup.Group,
            WorkingDirectory = definition.WorkingDirectory,
            SourceFile = definition.SourceFile,
            MemoryBytes = usage?.MemoryBytes,
            MemoryLimitBytes = definition.Resources.MemoryMax,
            CpuUsageUsec = usage?.CpuUsageMicroseconds,
            CpuPercent = CpuPercent(definition.Name, usage?.CpuUsageMicroseconds, running ? snapshot.StateSince : null, now),
            ProvisioningDefined = definition.Provisioning.Count > 0,
            ProvisioningMarker = definition.Provisioning.Count > 0 ? marker : null,
            ProvisioningMarkerExists = definition.Provisioning.Count > 0 && File.Exists(marker),
            Outdated = manager.IsOutdated(definition.Name),
            Health = snapshot.Health,
            WaitingFor = snapshot.WaitingFor,
            NotifyStatus = snapshot.NotifyStatus,
            DependsOn = [.. definition.DependsOn.Select(d => d.Service)],
            Flags = FlagApi.Of(flags, snapshot.Name),
        };
    }

    /// <summary>CPU use since the previous sample of this service (or since it started, on the first call).</summary>
    private double? CpuPercent(string name, long? usage, DateTimeOffset? runningSince, DateTimeOffset now)
    {
        if (usage is not { } current)
        {
            return null;
        }

        lock (_cpuLock)
        {
            _cpuSamples.TryGetValue(name, out var previous);
            var elapsed = now - previous.At;
            if (previous.At != default && elapsed >= MinimumCpuSampleInterval && current >= previous.Usage)
            {
                _cpuSamples[name] = (current, now);
                return Math.Round((current - previous.Usage) / elapsed.TotalMicroseconds * 100, 1);
            }

            if (previous.At == default || elapsed >= MinimumCpuSampleInterval)
            {
                _cpuSamples[name] = (current, now);
            }

            // No recent sample: the average since the current run started, bounded by the cgroup's life.
            return runningSince is { } since && now > since
                ? Math.Round(Math.Min(current, (now - since).TotalMicroseconds * Environment.ProcessorCount) / (now - since).TotalMicroseconds * 100, 1)
                : null;
        }
    }
}
