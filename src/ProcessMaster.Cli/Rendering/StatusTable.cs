using System.Globalization;
using System.Text;
using ProcessMaster.Protocol;

namespace ProcessMaster.Cli.Rendering;

/// <summary>
/// The <c>pmctl status</c> table: aligned columns that fit an 80-column terminal for usual names,
/// one row per process (extra pids continue in the PID column).
/// </summary>
internal static class StatusTable
{
    private static readonly string[] Headers = ["NAME", "STATE", "HEALTH", "PID", "UPTIME", "RESTARTS", "CPU%", "MEM", "ENABLED", "FLAGS", "LAST"];
    private static readonly bool[] RightAligned = [false, false, false, true, false, true, true, true, false, false, false];
    private const int HealthColumn = 2;
    private const int FlagsColumn = 9;

    public static string Render(StatusResult status, DateTimeOffset now)
    {
        if (status.Services.Count == 0)
        {
            return "(no services)\n";
        }

        var rows = new List<string[]>();
        foreach (var service in status.Services)
        {
            var pids = OrderPids(service);
            rows.Add([
                service.Name,
                service.State,
                service.Health ?? "-",
                pids.Count > 0 ? pids[0].ToString(CultureInfo.InvariantCulture) : "-",
                service.UptimeSeconds is { } up ? Units.Uptime(up) : "-",
                service.Restarts.ToString(CultureInfo.InvariantCulture),
                service.CpuPercent is { } cpu ? cpu.ToString("0.0", CultureInfo.InvariantCulture) : "-",
                service.MemoryBytes is { } memory ? Units.Bytes(memory, compact: true) : "-",
                service.Enabled ? "yes" : "no",
                service.Flags.Count == 0 ? "-" : FlagText.Render(service.Flags, now),
                Last(service, now),
            ]);
            foreach (var pid in pids.Skip(1))
            {
                rows.Add(["", "", "", pid.ToString(CultureInfo.InvariantCulture), "", "", "", "", "", "", ""]);
            }
        }

        // Health and flags columns only where some service has probes or flags: the table stays within 80 columns otherwise.
        var shown = Enumerable.Range(0, Headers.Length)
            .Where(i => (i != HealthColumn || status.Services.Any(s => s.Health is not null)) && (i != FlagsColumn || status.Services.Any(s => s.Flags.Count > 0)))
            .ToArray();
        var widths = Headers.Select((h, i) => Math.Max(h.Length, rows.Max(r => r[i].Length))).ToArray();
        var text = new StringBuilder();
        Append(text, Headers, widths, shown);
        foreach (var row in rows)
        {
            Append(text, row, widths, shown);
        }

        // The limits its main process runs with (asked for one service): inherited from the daemon unless set.
        foreach (var service in status.Services.Where(s => s.Limits is { Count: > 0 }))
        {
            text.Append(service.Name).Append(" limits: ")
                .Append(string.Join(", ", service.Limits!.Select(l => l.Soft == l.Hard ? $"{l.Name} {l.Soft}" : $"{l.Name} {l.Soft} (hard {l.Hard})"))).Append('\n');
        }

        // Why each FAILED service failed: too long for a column, and what the operator needs first.
        foreach (var failed in status.Services.Where(s => s is { State: "FAILED", LastError: not null }))
        {
            text.Append(failed.Name).Append(" failed: ").Append(failed.LastError).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>The main process first, then the others in pid order.</summary>
    private static List<int> OrderPids(ServiceStatus service)
    {
        var pids = service.Pids.ToList();
        if (service.MainPid is { } main && pids.Remove(main))
        {
            pids.Insert(0, main);
        }

        return pids;
    }

    /// <summary>What happened last, or for a cron job what happens next; what a waiting service waits for.</summary>
    private static string Last(ServiceStatus service, DateTimeOffset now)
    {
        if (service.WaitingFor is { } waiting)
        {
            return $"waiting for {waiting}";
        }

        var exit = service.LastRunOvertime ? "overtime"
            : service.LastExitSignal is { } signal ? signal
            : service.LastExitCode is { } code ? $"exit {code}"
            : service.LastError is not null ? "start failed"
            : null;
        if (service.Kind != "cron")
        {
            return exit ?? "-";
        }

        var next = service.NextRun is { } run
            ? "next " + (run - now < TimeSpan.FromHours(20) ? run.ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture) : run.ToLocalTime().ToString("MM-dd HH:mm", CultureInfo.InvariantCulture))
            : "no next run";
        return exit is null ? next : $"{exit}, {next}";
    }

    private static void Append(StringBuilder text, string[] cells, int[] widths, int[] shown)
    {
        var line = new StringBuilder();
        foreach (var i in shown)
        {
            if (line.Length > 0)
            {
                line.Append("  ");
            }

            line.Append(RightAligned[i] ? cells[i].PadLeft(widths[i]) : cells[i].PadRight(widths[i]));
        }

        text.Append(line.ToString().TrimEnd()).Append('\n');
    }
}
