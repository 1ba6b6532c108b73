using ProcessMaster.IntegrationTests.Support;
using ProcessMaster.Protocol;

namespace ProcessMaster.IntegrationTests;

/// <summary>The daemon re-executes itself in place (an upgrade) under load: nothing a service or a client sees changes.</summary>
public class ReexecTests
{
    private const int Sleepers = 49;

    [SystemFact]
    public async Task Reexec20Times_ByPmctlAndSigusr2_UnderLoad_KeepsPidsAndCounters_LosesNoLine_FailsNoCall()
    {
        await using var daemon = new TestDaemon();
        for (var i = 0; i < Sleepers; i++)
        {
            daemon.AddShellService($"sleeper{i:00}", "exec sleep 1000");
        }

        // About ten thousand numbered lines a second, and no SIGPIPE protection.
        daemon.AddShellService("writer", "i=0; while :; do i=$((i+1)); echo $i; case $i in *000) sleep 0.1;; esac; done");
        await daemon.StartAsync();
        var before = await Eventually.ValueAsync(() => AllAsync(daemon), s => s.Count == Sleepers + 1 && s.All(x => x.State == "RUNNING"),
            TimeSpan.FromSeconds(30), "every service to run");
        var daemonPid = daemon.Pid;
        var descriptors = OpenDescriptors(daemonPid);

        using var stop = new CancellationTokenSource();
        var poller = PollStatusAsync(daemon, stop.Token);
        for (var round = 0; round < 20; round++)
        {
            var generation = await GenerationAsync(daemon);
            if (round % 2 == 0)
            {
                var reply = await daemon.PmctlOkAsync("daemon-reexec");
                Assert.Contains($"generation {generation + 1} answers", reply);
            }
            else
            {
                ProcessMaster.Core.Interop.Libc.Kill(daemonPid, 12); // SIGUSR2
                await Eventually.ValueAsync(() => GenerationAsync(daemon), g => g > generation, TimeSpan.FromSeconds(30), $"generation {generation + 1}");
            }
        }

        await stop.CancelAsync();
        var (calls, failures) = await poller;
        Assert.True(calls > 20, $"the status loop ran ({calls} calls)");
        Assert.Empty(failures);

        Assert.Equal(daemonPid, daemon.Pid);
        Assert.False(daemon.HasExited);
        var after = await AllAsync(daemon);
        foreach (var service in before)
        {
            var now = after.Single(s => s.Name == service.Name);
            Assert.Equal(("RUNNING", service.MainPid, 0), (now.State, now.MainPid, now.Restarts));
        }

        Assert.InRange(OpenDescriptors(daemonPid), descriptors - 10, descriptors + 10); // nothing leaks per image
        var events = await daemon.PmctlOkAsync("events", "-n", "1000");
        Assert.Contains("re-executed in place as generation 21", events);
        Assert.DoesNotContain("left by an earlier daemon", events);

        await CrashRecoveryTests.AssertCapturedWithoutGapsAsync(daemon, "writer");
    }

    [SystemFact]
    public async Task Reexec_WhenTheBinaryOnDiskCannotTakeOver_KeepsTheRunningDaemonAndSaysWhy()
    {
        var copy = Directory.CreateTempSubdirectory("pmtest-bin-").FullName;
        try
        {
            // Copied by cp, not by this test host: a process the host forks meanwhile (other tests start
            // daemons in parallel) would inherit a write descriptor of the copy and exec would fail with ETXTBSY.
            Assert.Equal(0, (await Run.ProgramAsync("cp", [Dist.Daemon, Dist.Shim, copy])).ExitCode);

            await using var daemon = new TestDaemon { Executable = Path.Combine(copy, "processmaster") };
            daemon.AddShellService("kept", "exec sleep 1000");
            await daemon.StartAsync();
            var kept = await daemon.WaitForStateAsync("kept", "RUNNING");

            // A corrupt upgrade: the file at the daemon's path is no program at all.
            File.Move(daemon.Executable, daemon.Executable + ".old");
            File.WriteAllText(daemon.Executable, "not a program");
            File.SetUnixFileMode(daemon.Executable, (UnixFileMode)0x1ED);
            var refused = await daemon.PmctlAsync("daemon-reexec");
            Assert.NotEqual(0, refused.ExitCode);
            Assert.Contains("not re-executing", refused.Stderr);

            ProcessMaster.Core.Interop.Libc.Kill(daemon.Pid, 12);
            await Eventually.ValueAsync(() => daemon.PmctlOkAsync("events"), e => e.Contains("SIGUSR2", StringComparison.Ordinal) && e.Contains("this daemon carries on", StringComparison.Ordinal),
                TimeSpan.FromSeconds(30), "the refused SIGUSR2 re-exec to be reported");

            File.Delete(daemon.Executable);
            var missing = await daemon.PmctlAsync("daemon-reexec");
            Assert.Contains("does not exist", missing.Stderr);

            Assert.False(daemon.HasExited);
            var still = await daemon.StatusAsync("kept");
            Assert.Equal(("RUNNING", kept.MainPid), (still.State, still.MainPid));
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    private static async Task<List<ServiceStatus>> AllAsync(TestDaemon daemon)
    {
        await using var client = await daemon.ConnectAsync();
        return (await client.CallAsync(Methods.Status, new OptionalNameParams())).Services;
    }

    private static async Task<int> GenerationAsync(TestDaemon daemon)
    {
        try
        {
            await using var client = await daemon.ConnectAsync();
            return (await client.CallAsync(Methods.ServerVersion, new EmptyParams())).Generation;
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or RpcException)
        {
            return 0; // between images
        }
    }

    /// <summary>Calls status in a loop on fresh connections, as monitoring would; every failure is kept.</summary>
    private static async Task<(int Calls, List<string> Failures)> PollStatusAsync(TestDaemon daemon, CancellationToken stop)
    {
        var calls = 0;
        var failures = new List<string>();
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using var client = await daemon.ConnectAsync();
                var status = await client.CallAsync(Methods.Status, new OptionalNameParams());
                Assert.Equal(Sleepers + 1, status.Services.Count);
                calls++;
            }
            catch (Exception e)
            {
                failures.Add($"{e.GetType().Name}: {e.Message}");
            }

            await Task.Delay(10, CancellationToken.None);
        }

        return (calls, failures);
    }

    private static int OpenDescriptors(int pid) => Directory.GetFiles($"/proc/{pid}/fd").Length;
}
