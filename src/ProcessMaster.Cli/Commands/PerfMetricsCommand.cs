using System.CommandLine;
using System.Globalization;
using ProcessMaster.Cli.Rendering;
using ProcessMaster.Protocol;

namespace ProcessMaster.Cli.Commands;

internal static class PerfMetricsCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("NAME") { Description = "The service" };
        var once = new Option<bool>("--once") { Description = "One sample only (no CPU utilisation)" };
        var interval = new Option<int>("--interval-ms") { Description = "Time between the two samples", DefaultValueFactory = _ => 1000, HelpName = "MS" };
        var command = new Command("perf-metrics", "Show memory, swap, CPU and pressure of a service's cgroup") { name, once, interval };
        command.SetAction((result, cancellation) => DaemonConnection.RunAsync(result, async client =>
        {
            var first = await client.CallAsync(Methods.PerfMetrics, new NameParams(result.GetValue(name)!), cancellation);
            PerfMetrics? second = null;
            if (!result.GetValue(once))
            {
                await Task.Delay(Math.Max(100, result.GetValue(interval)), cancellation);
                second = await client.CallAsync(Methods.PerfMetrics, new NameParams(result.GetValue(name)!), cancellation);
            }

            Console.Write(Render(first, second, Math.Max(100, result.GetValue(interval))));
            return ExitCodes.Success;
        }, cancellation));
        return command;
    }

    internal static string Render(PerfMetrics first, PerfMetrics? second, int intervalMs)
    {
        var latest = second ?? first;
        var text = new System.Text.StringBuilder();
        text.AppendLine($"app:     {latest.App}");
        text.AppendLine($"cgroup:  {latest.Cgroup}");
        text.AppendLine($"pids:    {(latest.Pids.Count == 0 ? "-" : string.Join(' ', latest.Pids))}");
        var limit = latest.MemoryMax is { } max ? Units.Bytes(max) : "unlimited";
        var util = latest.MemoryMax is { } m && m > 0 && latest.MemoryCurrent is { } c ? $" ({100.0 * c / m:0.0}%)" : "";
        text.AppendLine($"memory:  {(latest.MemoryCurrent is { } current ? Units.Bytes(current) : "-")} of {limit}{util}");
        text.AppendLine($"swap:    {(latest.SwapCurrent is { } swap ? Units.Bytes(swap) : "-")} of {(latest.SwapMax is { } s ? Units.Bytes(s) : "unlimited")}");
        text.AppendLine($"cpu.max: {latest.CpuMax}");
        foreach (var (key, value) in latest.CpuStat.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            text.AppendLine($"  cpu.stat {key} {value}");
        }

        if (second is not null && first.CpuStat.TryGetValue("usage_usec", out var before) && second.CpuStat.TryGetValue("usage_usec", out var after))
        {
            var percent = (after - before) / (intervalMs * 1000.0) * 100;
            text.AppendLine($"cpu.util: {percent.ToString("0.0", CultureInfo.InvariantCulture)}% of one core over {intervalMs} ms");
        }

        AppendPressure(text, "cpu", latest.CpuPressure);
        AppendPressure(text, "memory", latest.MemoryPressure);
        AppendPressure(text, "io", latest.IoPressure);
        return text.ToString();
    }

    private static void AppendPressure(System.Text.StringBuilder text, string name, Pressure? pressure)
    {
        if (pressure?.Some is { } some)
        {
            text.AppendLine($"psi.{name}: some avg10={some.Avg10:0.00} avg60={some.Avg60:0.00} avg300={some.Avg300:0.00}" +
                            (pressure.Full is { } full ? $"; full avg10={full.Avg10:0.00}" : ""));
        }
    }
}
