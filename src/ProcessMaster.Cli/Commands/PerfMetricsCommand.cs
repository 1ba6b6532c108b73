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
        var command = new Command("perf-metrics", "Show memory, swap, CPU (with throttling), I/O and pressure of a service's cgroup") { name, once, interval };
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
        text.AppendLine($"cpu.max: {latest.CpuMax}{(latest.CpuQuotaCores is { } cores ? $" ({Number(cores, "0.##")} cores)" : "")}");
        foreach (var (key, value) in latest.CpuStat.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            text.AppendLine($"  cpu.stat {key} {value}");
        }

        if (second is not null && first.CpuStat.TryGetValue("usage_usec", out var before) && second.CpuStat.TryGetValue("usage_usec", out var after))
        {
            var percent = (after - before) / (intervalMs * 1000.0) * 100;
            var ofQuota = latest.CpuQuotaCores is { } quota and > 0 ? $" ({Number(percent / quota, "0")}% of its quota)" : "";
            text.AppendLine($"cpu.util: {Number(percent, "0.0")}% of one core over {intervalMs} ms{ofQuota}");
        }

        AppendThrottling(text, first.CpuThrottling, second?.CpuThrottling);
        AppendIo(text, latest, second is null ? null : first, intervalMs);
        AppendPressure(text, "cpu", latest.CpuPressure);
        AppendPressure(text, "memory", latest.MemoryPressure);
        AppendPressure(text, "io", latest.IoPressure);
        return text.ToString();
    }

    private static void AppendThrottling(System.Text.StringBuilder text, CpuThrottlingInfo? first, CpuThrottlingInfo? second)
    {
        if ((second ?? first) is not { } total)
        {
            return;
        }

        text.Append($"cpu.throttled: {total.Throttled} of {total.Periods} periods{Percent(total.Throttled, total.Periods)}, " +
                    $"{Number(total.ThrottledSeconds, "0.###")} s held back");
        if (second is not null && first is not null && second.Periods > first.Periods)
        {
            var periods = second.Periods - first.Periods;
            text.Append($"; in the interval {second.Throttled - first.Throttled} of {periods}{Percent(second.Throttled - first.Throttled, periods)}");
        }

        text.AppendLine();
    }

    /// <summary>The I/O section: weight, ceilings, totals and per disk; with two samples, rates over the interval.</summary>
    private static void AppendIo(System.Text.StringBuilder text, PerfMetrics latest, PerfMetrics? earlier, int intervalMs)
    {
        text.AppendLine($"io.weight: {(latest.IoWeight is { } weight ? weight.ToString(CultureInfo.InvariantCulture) : "100 (default)")}");
        foreach (var line in latest.IoMax ?? [])
        {
            text.AppendLine($"io.max: {line}");
        }

        if (latest.Io is not { } io)
        {
            return;
        }

        text.AppendLine($"io: read {Units.Bytes(io.ReadBytes)} ({io.ReadOps} ops), written {Units.Bytes(io.WriteBytes)} ({io.WriteOps} ops)");
        foreach (var device in io.Devices)
        {
            text.Append($"  {device.Name} ({device.Device}): read {Units.Bytes(device.ReadBytes)} ({device.ReadOps} ops), " +
                        $"written {Units.Bytes(device.WriteBytes)} ({device.WriteOps} ops)");
            if (earlier?.Io?.Devices.FirstOrDefault(d => d.Device == device.Device) is { } before)
            {
                var seconds = intervalMs / 1000.0;
                text.Append($"; now read {Units.Bytes((long)((device.ReadBytes - before.ReadBytes) / seconds))}/s " +
                            $"{Number((device.ReadOps - before.ReadOps) / seconds, "0")} iops, " +
                            $"write {Units.Bytes((long)((device.WriteBytes - before.WriteBytes) / seconds))}/s " +
                            $"{Number((device.WriteOps - before.WriteOps) / seconds, "0")} iops");
            }

            text.AppendLine();
        }
    }

    private static string Percent(long part, long whole) => whole > 0 ? $" ({Number(100.0 * part / whole, "0.0")}%)" : "";

    private static string Number(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    private static void AppendPressure(System.Text.StringBuilder text, string name, Pressure? pressure)
    {
        if (pressure?.Some is { } some)
        {
            text.AppendLine($"psi.{name}: some avg10={some.Avg10:0.00} avg60={some.Avg60:0.00} avg300={some.Avg300:0.00}" +
                            (pressure.Full is { } full ? $"; full avg10={full.Avg10:0.00}" : ""));
        }
    }
}
