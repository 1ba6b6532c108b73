using ProcessMaster.Core.Cgroups;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Logs;
using ProcessMaster.Core.Supervision;
using ProcessMaster.Core.Supervision.Ports;
using ProcessMaster.Daemon.Control;
using ProcessMaster.Protocol;

namespace ProcessMaster.Daemon.Metrics;

/// <summary>
/// One scrape: every service's state and its cgroup's counters, and the daemon's own. A service whose
/// cgroup is empty costs one read (its populated flag), as for status. Names follow Prometheus'
/// conventions: base units (<c>_seconds</c>, <c>_bytes</c>), counters end in <c>_total</c>.
/// </summary>
/// <param name="generation">Which daemon this is since the host booted.</param>
internal sealed class MetricsCollector(ServiceManager manager, LogFileRegistry logFiles, Core.Events.EventLog events, int generation, RpcCounters rpc)
{
    private const string Prefix = "processmaster_";

    private static readonly ServiceState[] States = Enum.GetValues<ServiceState>();

    private static readonly string[] PressureResources = ["cpu", "memory", "io"];

    private static readonly string[] PressureFiles = [.. PressureResources.Select(r => r + ".pressure")];

    /// <summary>What one service's series are made of, read once per scrape.</summary>
    private sealed record Reading(ServiceSnapshot Snapshot, string Kind, int Pids, CgroupCounters? Counters, CgroupStats? Stats,
        (long? Some, long? Full)[] Pressure, (string Stream, LogFile File)[] Logs);

    /// <summary>The scrape, in a writer the caller sends (<see cref="ExpositionWriter.Finish"/>) and disposes.</summary>
    public ExpositionWriter Collect(bool openMetrics)
    {
        var services = manager.Services.Values.ToArray();
        var readings = new Reading[services.Length];
        Parallel.For(0, services.Length, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            i => readings[i] = Read(services[i], logFiles));
        Array.Sort(readings, (a, b) => string.CompareOrdinal(a.Snapshot.Name, b.Snapshot.Name));

        var w = new ExpositionWriter(openMetrics);
        WriteDaemon(w, readings);
        WriteServices(w, readings);
        return w;
    }

    private static Reading Read(ServiceSupervisor service, LogFileRegistry logFiles)
    {
        var snapshot = service.Snapshot;
        var logs = OpenLogs(snapshot.Definition, logFiles);
        var cgroup = service.Readings();
        var pids = ControlApi.LivePids(service).Count;
        var kind = snapshot.Definition.IsCron ? "cron" : "service";
        if (pids == 0)
        {
            // A service that just ended keeps its group: its OOM kills and peak say why it ended.
            var ended = snapshot.State is ServiceState.Failed or ServiceState.Backoff or ServiceState.Exited;
            return new Reading(snapshot, kind, 0, ended ? cgroup.ReadCounters() : null, null, [], logs);
        }

        var pressure = new (long? Some, long? Full)[PressureFiles.Length];
        for (var i = 0; i < pressure.Length; i++)
        {
            var stat = cgroup.ReadPressure(PressureFiles[i]);
            pressure[i] = (stat?.Some?.TotalMicroseconds, stat?.Full?.TotalMicroseconds);
        }

        return new Reading(snapshot, kind, pids, cgroup.ReadCounters(),
            cgroup.ReadStats(withIoLimits: false, withThrottling: snapshot.Definition.Resources.Cpu is not null), pressure, logs);
    }

    /// <summary>The service's open log files by stream; one entry when stdout and stderr share a file.</summary>
    private static (string Stream, LogFile File)[] OpenLogs(ServiceDefinition definition, LogFileRegistry logFiles)
    {
        var stdout = SpawnRequest.OutputPath(definition, ProcessRole.Main, stderr: false);
        var stderr = SpawnRequest.OutputPath(definition, ProcessRole.Main, stderr: true);
        var open = new List<(string Stream, LogFile File)>(2);
        if (stdout is not null && logFiles.Find(stdout) is { } o)
        {
            open.Add((stderr == stdout ? "combined" : "stdout", o));
        }

        if (stderr is not null && stderr != stdout && logFiles.Find(stderr) is { } e)
        {
            open.Add(("stderr", e));
        }

        return [.. open];
    }

    private void WriteDaemon(ExpositionWriter w, Reading[] readings)
    {
        var build = BuildIdentity.Current;
        w.Family(Prefix + "build_info", "gauge", "The daemon's build: always 1, the build in its labels.");
        w.Sample(Prefix + "build_info", 1, ("build_id", build.BuildId), ("build_time", build.BuildTime), ("build_host", build.BuildHost));

        w.Family(Prefix + "daemon_resident_memory_bytes", "gauge", "Resident memory of the daemon process.");
        w.Sample(Prefix + "daemon_resident_memory_bytes", Environment.WorkingSet);

        w.Family(Prefix + "daemon_allocated_bytes_total", "counter", "Bytes the daemon's managed code allocated (most of them already reclaimed).");
        w.Sample(Prefix + "daemon_allocated_bytes_total", GC.GetTotalAllocatedBytes());

        var gc = GC.GetGCMemoryInfo();
        w.Family(Prefix + "daemon_gc_heap_bytes", "gauge", "The managed heap after the daemon's last garbage collection.");
        w.Sample(Prefix + "daemon_gc_heap_bytes", gc.HeapSizeBytes);
        w.Family(Prefix + "daemon_gc_committed_bytes", "gauge", "Memory the garbage collector holds from the system (heap, free space it kept, bookkeeping).");
        w.Sample(Prefix + "daemon_gc_committed_bytes", gc.TotalCommittedBytes);

        w.Family(Prefix + "daemon_generation", "gauge", "Daemon images since the host booted (a re-exec or a restart adds one).");
        w.Sample(Prefix + "daemon_generation", generation);

        w.Family(Prefix + "services", "gauge", "Services and cron jobs by state.");
        foreach (var state in States)
        {
            w.Sample(Prefix + "services", readings.Count(r => r.Snapshot.State == state), ("state", state.Name()));
        }

        w.Family(Prefix + "events_total", "counter", "Events recorded by this daemon image.");
        w.Sample(Prefix + "events_total", events.Recorded);
        w.Family(Prefix + "events_dropped_total", "counter", "Events of services held back by their budgets (counted, and said once in the history).");
        w.Sample(Prefix + "events_dropped_total", events.Dropped);

        var totals = rpc.Totals().ToList();
        w.Family(Prefix + "rpc_requests_total", "counter", "JSON-RPC requests by method (names not served count as other).");
        foreach (var (method, requests, _) in totals)
        {
            w.Sample(Prefix + "rpc_requests_total", requests, ("method", method));
        }

        w.Family(Prefix + "rpc_errors_total", "counter", "JSON-RPC requests answered with an error, by method.");
        foreach (var (method, _, errors) in totals)
        {
            w.Sample(Prefix + "rpc_errors_total", errors, ("method", method));
        }
    }

    private static void WriteServices(ExpositionWriter w, Reading[] readings)
    {
        Gauge(w, readings, "service_up", "1 while the service runs (RUNNING), else 0.", r => r.Snapshot.State == ServiceState.Running ? 1 : 0);

        w.Family(Prefix + "service_state", "gauge", "The service's state: 1 for the state it is in, 0 for the others.");
        foreach (var r in readings)
        {
            foreach (var state in States)
            {
                w.Sample(Prefix + "service_state", r.Snapshot.State == state ? 1 : 0, ("service", r.Snapshot.Name), ("kind", r.Kind), ("state", state.Name()));
            }
        }

        Gauge(w, readings, "service_enabled", "1 when the definition is enabled.", r => r.Snapshot.Definition.Enabled ? 1 : 0);
        Gauge(w, readings, "service_healthy", "1 when its readiness probe passes, 0 when not (only services with probes).",
            r => r.Snapshot.Health is { } health ? (health == "healthy" ? 1 : 0) : null);
        Counter(w, readings, "service_restarts_total", "Automatic restarts since an operator last started it.", r => r.Snapshot.Restarts);
        Gauge(w, readings, "service_last_exit_code", "Exit code of its last run (absent when it was killed by a signal).", r => r.Snapshot.LastExit?.Code);
        Gauge(w, readings, "service_last_exit_signal", "Signal number that ended its last run (absent when it exited).", r => r.Snapshot.LastExit?.Signal);
        Gauge(w, readings, "service_start_time_seconds", "When it entered RUNNING, as a Unix time.",
            r => r.Snapshot.State == ServiceState.Running && r.Snapshot.StateSince is { } since ? since.ToUnixTimeMilliseconds() / 1000.0 : null);
        Gauge(w, readings, "service_last_run_timestamp_seconds", "When its last run was started, as a Unix time.",
            r => r.Snapshot.LastStartAttempt?.ToUnixTimeMilliseconds() / 1000.0);
        Gauge(w, readings, "service_last_run_duration_seconds", "How long its last run that ended took, start to last process gone.",
            r => r.Snapshot.LastRunDuration?.TotalSeconds);
        Gauge(w, readings, "cron_next_run_timestamp_seconds", "When the cron job runs next, as a Unix time.",
            r => r.Kind == "cron" ? r.Snapshot.NextRun?.ToUnixTimeMilliseconds() / 1000.0 : null);
        Gauge(w, readings, "cron_last_run_overtime", "1 when the cron job's last run passed max_time_per_run.",
            r => r.Kind == "cron" ? (r.Snapshot.LastRunOvertime ? 1 : 0) : null);
        Gauge(w, readings, "service_processes", "Processes in its cgroup.", r => r.Pids);

        w.Family(Prefix + "service_cpu_seconds_total", "counter", "CPU time its processes used, by mode (while it has processes).");
        foreach (var r in readings)
        {
            if (r.Counters is { UserMicroseconds: { } user, SystemMicroseconds: { } system })
            {
                w.Sample(Prefix + "service_cpu_seconds_total", user / 1e6, ("service", r.Snapshot.Name), ("kind", r.Kind), ("mode", "user"));
                w.Sample(Prefix + "service_cpu_seconds_total", system / 1e6, ("service", r.Snapshot.Name), ("kind", r.Kind), ("mode", "system"));
            }
        }

        Gauge(w, readings, "service_memory_bytes", "Memory its cgroup uses.", r => r.Counters?.MemoryBytes);
        Gauge(w, readings, "service_memory_peak_bytes", "The most memory its cgroup used at once.", r => r.Counters?.MemoryPeakBytes);
        Gauge(w, readings, "service_memory_max_bytes", "Its max_memory (absent when unlimited).", r => r.Snapshot.Definition.Resources.MemoryMax);
        Gauge(w, readings, "service_swap_bytes", "Swap its cgroup uses.", r => r.Counters?.SwapBytes);
        Counter(w, readings, "service_oom_kills_total", "Processes of it the kernel's OOM killer ended.", r => r.Counters?.OomKills);

        Counter(w, readings, "service_cpu_periods_total", "CPU quota periods in which it ran.", r => r.Stats?.Throttling?.Periods);
        Counter(w, readings, "service_cpu_throttled_periods_total", "CPU quota periods in which it was held back.", r => r.Stats?.Throttling?.Throttled);
        Counter(w, readings, "service_cpu_throttled_seconds_total", "Time its CPU quota held it back.", r => r.Stats?.Throttling?.ThrottledTime.TotalSeconds);

        w.Family(Prefix + "service_pressure_seconds_total", "counter", "Pressure stall time (PSI) of its cgroup, by resource and level (some, full).");
        foreach (var r in readings)
        {
            for (var i = 0; i < r.Pressure.Length; i++)
            {
                if (r.Pressure[i].Some is { } some)
                {
                    w.Sample(Prefix + "service_pressure_seconds_total", some / 1e6, ("service", r.Snapshot.Name), ("kind", r.Kind), ("resource", PressureResources[i]), ("level", "some"));
                }

                if (r.Pressure[i].Full is { } full)
                {
                    w.Sample(Prefix + "service_pressure_seconds_total", full / 1e6, ("service", r.Snapshot.Name), ("kind", r.Kind), ("resource", PressureResources[i]), ("level", "full"));
                }
            }
        }

        LogCounter(w, readings, "service_log_written_bytes_total", "Bytes of its output written to its log file, by stream (while the file is open).", f => f.WrittenBytes);
        LogCounter(w, readings, "service_log_dropped_bytes_total", "Bytes of its output lost because the log file could not be written, by stream.", f => f.DroppedBytes);

        IoCounter(w, readings, "service_io_read_bytes_total", "Bytes it read, by disk.", d => d.ReadBytes);
        IoCounter(w, readings, "service_io_written_bytes_total", "Bytes it wrote, by disk.", d => d.WriteBytes);
        IoCounter(w, readings, "service_io_read_operations_total", "Read operations, by disk.", d => d.ReadOps);
        IoCounter(w, readings, "service_io_write_operations_total", "Write operations, by disk.", d => d.WriteOps);
    }

    private static void Gauge(ExpositionWriter w, Reading[] readings, string name, string help, Func<Reading, double?> value) =>
        Series(w, readings, name, "gauge", help, value);

    private static void Counter(ExpositionWriter w, Reading[] readings, string name, string help, Func<Reading, double?> value) =>
        Series(w, readings, name, "counter", help, value);

    private static void Series(ExpositionWriter w, Reading[] readings, string name, string type, string help, Func<Reading, double?> value)
    {
        w.Family(Prefix + name, type, help);
        foreach (var r in readings)
        {
            if (value(r) is { } v)
            {
                w.Sample(Prefix + name, v, ("service", r.Snapshot.Name), ("kind", r.Kind));
            }
        }
    }

    private static void LogCounter(ExpositionWriter w, Reading[] readings, string name, string help, Func<LogFile, long> value)
    {
        w.Family(Prefix + name, "counter", help);
        foreach (var r in readings)
        {
            foreach (var (stream, file) in r.Logs)
            {
                w.Sample(Prefix + name, value(file), ("service", r.Snapshot.Name), ("kind", r.Kind), ("stream", stream));
            }
        }
    }

    private static void IoCounter(ExpositionWriter w, Reading[] readings, string name, string help, Func<IoDeviceStat, long> value)
    {
        w.Family(Prefix + name, "counter", help);
        foreach (var r in readings)
        {
            foreach (var device in r.Stats?.Io ?? [])
            {
                w.Sample(Prefix + name, value(device), ("service", r.Snapshot.Name), ("kind", r.Kind), ("device", device.Device));
            }
        }
    }
}
