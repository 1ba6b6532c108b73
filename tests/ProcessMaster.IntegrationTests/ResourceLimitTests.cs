using ProcessMaster.Core.Cgroups;
using ProcessMaster.IntegrationTests.Support;

namespace ProcessMaster.IntegrationTests;

/// <summary>CPU measurements need the machine to themselves.</summary>
[CollectionDefinition(nameof(ExclusiveCpu), DisableParallelization = true)]
public sealed class ExclusiveCpu;

/// <summary>Limits are written where this host offers the controller (v2, or v1 on hybrid hosts) and enforced.</summary>
[Collection(nameof(ExclusiveCpu))]
public class ResourceLimitTests
{
    [SystemFact]
    public async Task MemoryHog_IsOomKilledAtItsLimit_AndTheServiceRecordsIt()
    {
        await using var daemon = new TestDaemon();
        // tail keeps everything it reads while it waits for a newline that never comes.
        daemon.AddService("hog", """
            process:
              working_directory: {wd}
              start_command: ["/bin/sh", "-c", "head -c 1G /dev/zero | tail; echo tail=$? >&2; exit 9"]
            resources:
              max_memory: 64MiB
              max_swap: 0
            restart_policy:
              policy: never
            """);
        await daemon.StartAsync();
        var status = await daemon.WaitForStateAsync("hog", "FAILED", TimeSpan.FromSeconds(30));
        Assert.Equal(9, status.LastExitCode);
        Assert.Contains("tail=137", File.ReadAllText(Path.Combine(daemon.WorkDir("hog"), "logs", "stderr.log"))); // SIGKILLed by the OOM killer

        var layout = daemon.Cgroups.Layout;
        if (layout.Backends[CgroupController.Memory] == LimitBackendKind.V1)
        {
            var group = daemon.Cgroups.V1Group(CgroupController.Memory, "hog")!;
            Assert.Equal("67108864", File.ReadAllText(Path.Combine(group, "memory.limit_in_bytes")).Trim());
            Assert.Contains("oom_kill 1", File.ReadAllText(Path.Combine(group, "memory.oom_control")));
        }
        else
        {
            var group = daemon.Cgroups.ServiceGroup("hog");
            Assert.Equal("67108864", File.ReadAllText(Path.Combine(group, "memory.max")).Trim());
            Assert.Contains("oom_kill 1", File.ReadAllText(Path.Combine(group, "memory.events")));
        }
    }

    [SystemFact]
    public async Task CpuLimit_HoldsABusyLoopToItsQuota_AndTheKernelThrottlesIt_WhileAnUnlimitedOneGetsMore()
    {
        await using var daemon = new TestDaemon();
        daemon.AddShellService("limited", "while :; do :; done", "resources:\n  max_cpu: 200m");
        daemon.AddShellService("free", "while :; do :; done");
        await daemon.StartAsync();
        await daemon.WaitForStateAsync("limited", "RUNNING");
        await daemon.WaitForStateAsync("free", "RUNNING");

        // A measuring window (not synchronisation): what each loop got, and how often the limited one was throttled.
        var before = (Usage("limited"), Usage("free"), Throttled(), DateTime.UtcNow);
        await Task.Delay(3000);
        var elapsed = (DateTime.UtcNow - before.Item4).TotalMicroseconds;
        var limited = (Usage("limited") - before.Item1) / elapsed;
        var free = (Usage("free") - before.Item2) / elapsed;

        // These hold however busy the machine is: never above the quota, throttled by the kernel for
        // wanting more, and less than an equal loop without a limit got in the same window.
        Assert.True(limited <= 0.28, $"limited loop got {limited:P0} of a core (quota 20 %)");
        Assert.True(Throttled() > before.Item3, "the kernel never throttled the limited loop");
        Assert.True(free > limited, $"unlimited loop got {free:P0} of a core, limited {limited:P0}");
        if (daemon.Cgroups.Layout.Backends[CgroupController.Cpu] == LimitBackendKind.V1)
        {
            var group = daemon.Cgroups.V1Group(CgroupController.Cpu, "limited")!;
            Assert.Equal("20000", File.ReadAllText(Path.Combine(group, "cpu.cfs_quota_us")).Trim());
            Assert.Equal("100000", File.ReadAllText(Path.Combine(group, "cpu.cfs_period_us")).Trim());
        }

        // perf-metrics reads the same throttling from whichever hierarchy applies it.
        var metrics = await daemon.PmctlOkAsync("perf-metrics", "limited", "--interval-ms", "500");
        Assert.Matches(@"cpu\.max: 20000 100000 \(0\.2 cores\)", metrics);
        Assert.Matches(@"cpu\.throttled: [1-9][0-9]* of [1-9][0-9]* periods \([0-9.]+%\), [0-9.]+ s held back; in the interval [0-9]", metrics); // a busy machine may not let it reach its quota within 500 ms
        Assert.Matches(@"cpu\.util: [0-9.]+% of one core over 500 ms \([0-9]+% of its quota\)", metrics);

        long Usage(string app) => ServiceCgroup.CpuUsage(daemon.Cgroups.ServiceGroup(app)) ?? throw new InvalidOperationException("no cpu.stat");

        // nr_throttled in cpu.stat of whichever hierarchy applies the limit.
        long Throttled()
        {
            var group = daemon.Cgroups.Layout.Backends[CgroupController.Cpu] == LimitBackendKind.V1
                ? daemon.Cgroups.V1Group(CgroupController.Cpu, "limited")!
                : daemon.Cgroups.ServiceGroup("limited");
            var line = File.ReadLines(Path.Combine(group, "cpu.stat")).First(l => l.StartsWith("nr_throttled ", StringComparison.Ordinal));
            return long.Parse(line["nr_throttled ".Length..]);
        }
    }

    /// <summary>
    /// Two services write 3 MiB with O_DIRECT to their own halves of a loop device; the one limited to
    /// 1 MiB/s takes about 3 s, the other a fraction of that. Direct writes, since cgroup v1 does not
    /// charge buffered writeback to the writer.
    /// </summary>
    [SystemFact]
    public async Task IoBandwidth_HoldsDirectWritesToTheCeiling_WhileAnUnlimitedWriterIsFaster_AndCanBeLifted()
    {
        await using var daemon = new TestDaemon();
        await using var disk = await LoopDevice.CreateAsync(daemon.Directory, 64L << 20);
        string Writer(int seekBlocks) =>
            $"s=$(date +%s%N); dd if=/dev/zero of={disk.Path} bs=64k count=48 seek={seekBlocks} oflag=direct 2>/dev/null; " +
            "echo \"ms=$(( ($(date +%s%N) - s) / 1000000 ))\"; exec sleep 1000";
        daemon.AddShellService("limited", Writer(0), $$"""
            resources:
              io_weight: 300
              io_bandwidth:
                - {device: {{disk.Path}}, max_write_bytes_per_second: 1MiB}
                - {device: /dev/pmtest-no-such-disk, max_read_iops: 10}
            """);
        daemon.AddShellService("free", Writer(512));
        await daemon.StartAsync();

        var limitedMs = await WrittenAfterAsync(daemon, "limited");
        var freeMs = await WrittenAfterAsync(daemon, "free");
        // 3 MiB at 1 MiB/s; the kernel lets a little through ahead of the rate, never much.
        Assert.True(limitedMs >= 2000, $"the limited writer took {limitedMs} ms for 3 MiB at 1 MiB/s");
        Assert.True(freeMs * 2 < limitedMs, $"the unlimited writer took {freeMs} ms, the limited one {limitedMs} ms");

        var layout = daemon.Cgroups.Layout;
        var ceiling = $"{disk.Numbers} rbps=max wbps=1048576 riops=max wiops=max";
        if (layout.Backends[CgroupController.Io] == LimitBackendKind.V1)
        {
            var group = daemon.Cgroups.V1Group(CgroupController.Io, "limited")!;
            Assert.Equal($"{disk.Numbers} 1048576", File.ReadAllText(Path.Combine(group, "blkio.throttle.write_bps_device")).Trim());
            if (File.Exists(Path.Combine(group, "blkio.bfq.weight")))
            {
                Assert.Equal("300", File.ReadAllText(Path.Combine(group, "blkio.bfq.weight")).Trim());
            }
        }
        else
        {
            Assert.Equal(ceiling, File.ReadAllText(Path.Combine(daemon.Cgroups.ServiceGroup("limited"), "io.max")).Trim());
        }

        var metrics = await daemon.PmctlOkAsync("perf-metrics", "limited", "--once");
        Assert.Contains($"io.max: {ceiling}\n", metrics);
        Assert.Contains("io.weight: 300\n", metrics);
        Assert.Matches($@"  {Path.GetFileName(disk.Path)} \({disk.Numbers}\): read .*, written 3\.0 MiB", metrics);

        // The missing disk is said once, also over restarts; the service runs regardless.
        const string missing = "io_bandwidth device /dev/pmtest-no-such-disk does not exist; its io_bandwidth limit is not applied";
        await daemon.PmctlOkAsync("restart", "limited");
        await daemon.WaitForStateAsync("limited", "RUNNING");
        Assert.Single((await daemon.EventsAsync("limited")).OfKind("limit_not_applied"), e => e.Field("detail") == missing);

        // Taken out of the definition, the ceiling is lifted at the next start.
        daemon.AddShellService("limited", Writer(0), "resources:\n  io_weight: 300");
        Assert.Contains("limited", await daemon.PmctlOkAsync("update"));
        await daemon.WaitForStateAsync("limited", "RUNNING");
        var after = await daemon.PmctlOkAsync("perf-metrics", "limited", "--once");
        Assert.DoesNotContain("io.max:", after);
    }

    /// <summary>The time the service's writer reported, once it has.</summary>
    private static async Task<long> WrittenAfterAsync(TestDaemon daemon, string app)
    {
        var log = Path.Combine(daemon.WorkDir(app), "logs", "stdout.log");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (File.Exists(log) && File.ReadAllText(log) is var text && text.StartsWith("ms=", StringComparison.Ordinal) && text.EndsWith('\n'))
            {
                return long.Parse(text[3..].Trim());
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{app} never reported its write");
    }
}
