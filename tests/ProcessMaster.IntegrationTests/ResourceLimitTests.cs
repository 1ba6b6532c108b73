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
}
