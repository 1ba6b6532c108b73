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
        var holderAnonymous = 0L;
        for (var round = 0; round < 20; round++)
        {
            if (round == 1)
            {
                holderAnonymous = HolderAnonymousKib(daemon);
            }

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
        // Each new image takes every pipe back from the holder (a message per pipe): the holder must not grow by it.
        Assert.InRange(HolderAnonymousKib(daemon), 0, holderAnonymous + 64);
        var events = await daemon.EventsAsync(n: 1000);
        Assert.Contains(events.OfKind("reexecuted"), e => e.Field("generation") == "21");
        Assert.Empty(events.OfKind("leftovers_found"));

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
            await Eventually.ValueAsync(() => daemon.EventsAsync(), e => e.OfKind("reexec_begun").Any(b => b.Field("trigger") == "SIGUSR2") && e.OfKind("reexec_abandoned").Any(),
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

    [SystemFact]
    public async Task FollowersOfLogsAndEvents_GoOnAcrossReexecs_WithoutAGapOrARepeat()
    {
        await using var daemon = new TestDaemon();
        daemon.AddShellService("counter", CrashRecoveryTests.Counter);
        await daemon.StartAsync();
        await daemon.WaitForStateAsync("counter", "RUNNING");
        using var logs = Follower.Start(daemon, "logs", "-f", "stdout.log", "-n", "0");
        using var events = Follower.Start(daemon, "events", "-f", "-n", "0");
        await Eventually.TrueAsync(() => logs.Lines().Count > 100, TimeSpan.FromSeconds(20), "the log follower to print lines");

        for (var round = 0; round < 3; round++)
        {
            if (round == 1)
            {
                ProcessMaster.Core.Interop.Libc.Kill(daemon.Pid, 12); // SIGUSR2
                await Eventually.ValueAsync(() => GenerationAsync(daemon), g => g == 3, TimeSpan.FromSeconds(30), "generation 3");
            }
            else
            {
                await daemon.PmctlOkAsync("daemon-reexec");
            }
        }

        var printed = logs.Lines().Count;
        await Eventually.TrueAsync(() => logs.Lines().Count > printed + 2000, TimeSpan.FromSeconds(30), "the log follower to go on after the re-execs");
        await Eventually.TrueAsync(() => events.Lines().Any(l => l.Contains("re-executed in place as generation 4", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), "the event follower to show the last re-exec");
        Assert.Equal(0, await daemon.TerminateAsync());
        Assert.Equal(1, await logs.ExitedAsync()); // the daemon is gone: the follow could not go on
        Assert.Equal(1, await events.ExitedAsync());

        var stdout = Path.Combine(daemon.WorkDir("counter"), "logs", "stdout.log") + ": ";
        var numbers = logs.Lines().Where(l => l.StartsWith(stdout, StringComparison.Ordinal))
            .Select(l => long.Parse(l[stdout.Length..], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.True(numbers.Count > 2000, $"{numbers.Count} lines followed");
        for (var i = 1; i < numbers.Count; i++)
        {
            Assert.True(numbers[i] == numbers[i - 1] + 1, $"followed line {i} is {numbers[i]} after {numbers[i - 1]}");
        }

        var shown = events.Lines();
        Assert.Equal(shown.Count, shown.Distinct().Count()); // nothing shown twice
        foreach (var generation in (int[])[2, 3, 4])
        {
            Assert.Single(shown, l => l.Contains($"re-executed in place as generation {generation} ", StringComparison.Ordinal));
        }

        Assert.Equal(3, logs.Errors().Count(l => l.Contains("following on with its next image", StringComparison.Ordinal)));
        Assert.DoesNotContain("still open after", await File.ReadAllTextAsync(Path.Combine(daemon.Directory, "state", "events.jsonl"))); // followers are not waited for
    }

    /// <summary>A pmctl follow running beside the test, its output collected line by line.</summary>
    [SystemFact]
    public async Task FollowersOfAKilledDaemon_SayTheConnectionWasLost_OrWithRetry_FollowOnWithTheNextDaemon()
    {
        await using var daemon = new TestDaemon();
        daemon.AddShellService("ticker", "while :; do echo tick; sleep 0.05; done");
        await daemon.StartAsync();
        using var plain = Follower.Start(daemon, "events", "-f", "-n", "0");
        using var retrying = Follower.Start(daemon, "logs", "-f", "stdout.log", "-n", "0", "--retry");
        await Eventually.TrueAsync(() => retrying.Lines().Count > 5, TimeSpan.FromSeconds(20), "the log follower to print lines");

        await daemon.KillAsync();
        Assert.Equal(1, await plain.ExitedAsync());
        Assert.Contains(plain.Errors(), e => e.Contains("connection to the daemon was lost", StringComparison.Ordinal));
        await Eventually.TrueAsync(() => retrying.Errors().Any(e => e.Contains("waiting for it to answer again", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(10), "the retrying follower to wait");

        await daemon.StartAsync(); // adopts the ticker; its pipe was held meanwhile
        var before = retrying.Lines().Count;
        await Eventually.TrueAsync(() => retrying.Lines().Count > before + 5, TimeSpan.FromSeconds(30), "the retrying follower to follow on");
        Assert.Contains(retrying.Errors(), e => e.Contains("connected again", StringComparison.Ordinal));
    }

    private sealed class Follower : IDisposable
    {
        private readonly System.Diagnostics.Process _process;
        private readonly List<string> _lines = [];
        private readonly List<string> _errors = [];

        private Follower(System.Diagnostics.Process process)
        {
            _process = process;
            process.OutputDataReceived += (_, e) => Add(_lines, e.Data);
            process.ErrorDataReceived += (_, e) => Add(_errors, e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public static Follower Start(TestDaemon daemon, params string[] args)
        {
            var info = new System.Diagnostics.ProcessStartInfo(Dist.Pmctl) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in (string[])["-s", daemon.SocketPath, .. args])
            {
                info.ArgumentList.Add(arg);
            }

            return new Follower(System.Diagnostics.Process.Start(info)!);
        }

        public List<string> Lines() => Copy(_lines);

        public List<string> Errors() => Copy(_errors);

        public async Task<int> ExitedAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _process.WaitForExitAsync(timeout.Token);
            _process.WaitForExit(); // the output read to its end
            return _process.ExitCode;
        }

        private static void Add(List<string> to, string? line)
        {
            if (line is not null)
            {
                lock (to)
                {
                    to.Add(line);
                }
            }
        }

        private static List<string> Copy(List<string> from)
        {
            lock (from)
            {
                return [.. from];
            }
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill();
            }

            _process.Dispose();
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

    /// <summary>The pipe holder's private anonymous memory (its heap), which shared pages do not blur.</summary>
    private static long HolderAnonymousKib(TestDaemon daemon)
    {
        var holder = Assert.Single(ProcessMaster.Core.Cgroups.CgroupFs.ReadPidsRecursive(daemon.Cgroups.Layout.PipeHolder));
        var line = File.ReadLines($"/proc/{holder}/smaps_rollup").Single(l => l.StartsWith("Pss_Anon:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
    }
}
