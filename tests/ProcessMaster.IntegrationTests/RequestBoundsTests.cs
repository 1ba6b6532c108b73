using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using ProcessMaster.IntegrationTests.Support;
using ProcessMaster.Protocol;
using static ProcessMaster.IntegrationTests.Support.WebConsoleSite;

namespace ProcessMaster.IntegrationTests;

/// <summary>
/// No request makes the daemon balloon or lock others out: a small batch that asks for gigabytes of logs or
/// events, thousands of idle connections, a client that never says hello. Memory is measured by the
/// kernel (peak RSS), and must come back down after the burst.
/// </summary>
public class RequestBoundsTests
{
    private const long Bound = 64L * 1024 * 1024;

    /// <summary>The memory figures, in the test output for the closing note.</summary>
    private static void Report(string what, int pid, long idle) =>
        Console.WriteLine($"{what}: idle {DaemonMemory.Megabytes(idle)}, peak {DaemonMemory.Megabytes(DaemonMemory.PeakRss(pid))}, now {DaemonMemory.Megabytes(DaemonMemory.Rss(pid))}");

    private static async Task ComesBackDownAsync(int pid, long idle) =>
        await Eventually.TrueAsync(() => DaemonMemory.Rss(pid) < 2 * idle, TimeSpan.FromSeconds(60), $"RSS back under 2x idle ({DaemonMemory.Megabytes(2 * idle)})");

    [SystemFact]
    public async Task ABatchOfLogsCalls_OverLargeLogs_IsBoundedInMemory_AndTheMemoryGoesBack()
    {
        await using var daemon = new TestDaemon();
        var work = daemon.WorkDir("big");
        Directory.CreateDirectory(Path.Combine(work, "logs"));
        var line = "a log line with some text in it, " + new string('x', 60) + "\n";
        foreach (var file in new[] { "logs/stdout.log", "logs/stderr.log", "hint1.log", "hint2.log" })
        {
            await File.WriteAllTextAsync(Path.Combine(work, file), string.Concat(Enumerable.Repeat(line, 10 * 1024 * 1024 / line.Length)));
        }

        daemon.AddShellService("big", "exec sleep 100000", "logs:\n  hints: [hint1.log, hint2.log]\n");
        await daemon.StartAsync();
        await daemon.PmctlOkAsync("status");
        var idle = DaemonMemory.Rss(daemon.Pid);

        using var socket = new RawSocket(daemon.SocketPath);
        await socket.HelloAsync();
        var batch = "[" + string.Join(',', Enumerable.Range(1, 20).Select(i => $$$"""{"jsonrpc":"2.0","id":{{{i}}},"method":"logs","params":{"name":"big","n":100000}}""")) + "]";
        Assert.True(batch.Length < 2000); // 1.7 KB asking for 20 x 40 MB
        socket.Send(batch + "\n");
        var reply = await socket.ReadLineAsync(TimeSpan.FromSeconds(60));
        Assert.NotNull(reply);
        Assert.True(reply.Length <= JsonRpc.MaxResponseBytes + 1, $"reply of {reply.Length} bytes");
        var replies = JsonDocument.Parse(reply).RootElement.EnumerateArray().ToList();
        Assert.Equal(20, replies.Count);
        var first = replies[0].GetProperty("result").GetProperty("files");
        Assert.Equal(4, first.GetArrayLength());
        Assert.All(first.EnumerateArray(), f => Assert.True(f.GetProperty("lines").GetArrayLength() > 1000));

        Report("logs batch", daemon.Pid, idle);
        Assert.True(DaemonMemory.PeakRss(daemon.Pid) < Bound, $"peak RSS {DaemonMemory.Megabytes(DaemonMemory.PeakRss(daemon.Pid))}");
        await ComesBackDownAsync(daemon.Pid, idle);
    }

    [SystemFact]
    public async Task AWebBatchOfAThousandEventsCalls_IsRefused_AndTheLargestAllowedIsCappedAndBoundedInMemory()
    {
        var (daemon, url) = await StartAsync(services: d => d.AddShellService("noisy", "exit 1", """
            restart_policy:
              policy: always
              restart_backoff_ms: 10
              tolerance: {max_restarts: 500, duration: 1h}
            """));
        await using var owned = daemon;
        await daemon.WaitForStateAsync("noisy", "FAILED", TimeSpan.FromSeconds(120)); // the event ring is full now
        using var client = Client();
        client.DefaultRequestHeaders.Add("X-CSRF-Token", await CsrfTokenAsync(client, url));
        var idle = DaemonMemory.Rss(daemon.Pid);

        // The 76 KB batch of a thousand calls that once produced a 232 MB reply is refused whole.
        var batch = "[" + string.Join(',', Enumerable.Range(1, 1000).Select(i => $$$"""{"jsonrpc":"2.0","id":{{{i}}},"method":"events","params":{"n":100000}}""")) + "]";
        Assert.InRange(batch.Length, 60_000, 80_000);
        var refused = JsonDocument.Parse(await (await client.PostAsync(url + "rpc", new StringContent(batch, Encoding.UTF8, "application/json"))).Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(RpcErrorCodes.InvalidRequest, refused.GetProperty("error").GetProperty("code").GetInt32());

        // The largest batch allowed gets replies up to the size cap, then errors.
        batch = "[" + string.Join(',', Enumerable.Range(1, JsonRpc.MaxBatchCalls).Select(i => $$$"""{"jsonrpc":"2.0","id":{{{i}}},"method":"events","params":{"n":100000}}""")) + "]";
        var response = await client.PostAsync(url + "rpc", new StringContent(batch, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.True(body.Length <= JsonRpc.MaxResponseBytes + 1, $"reply of {body.Length} bytes");
        var replies = JsonDocument.Parse(body).RootElement.EnumerateArray().ToList();
        Assert.Equal(JsonRpc.MaxBatchCalls, replies.Count);
        Assert.Contains(replies, r => r.TryGetProperty("result", out _));
        Assert.Contains(replies, r => r.TryGetProperty("error", out var e) && e.GetProperty("code").GetInt32() == RpcErrorCodes.TooLarge);

        Report("events batch (web)", daemon.Pid, idle);
        Assert.True(DaemonMemory.PeakRss(daemon.Pid) < Bound, $"peak RSS {DaemonMemory.Megabytes(DaemonMemory.PeakRss(daemon.Pid))}");
        await ComesBackDownAsync(daemon.Pid, idle);
    }

    /// <summary>Runs <paramref name="command"/> as nobody.</summary>
    private static ProcessStartInfo AsNobody(params string[] command)
    {
        var info = new ProcessStartInfo("setpriv") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--", .. command])
        {
            info.ArgumentList.Add(argument);
        }

        return info;
    }

    /// <summary>Opens <paramref name="count"/> connections as nobody and holds them, idle, until killed.</summary>
    private const string Flood = """
        use strict; use Socket; use IO::Socket::UNIX;
        my @held; for (1 .. $ARGV[1]) { my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $ARGV[0]); push @held, $s if $s; }
        $| = 1; print "opened\n"; sleep 600;
        """;

    [SystemFact]
    public async Task TwoThousandIdleConnectionsOfAnotherUser_DoNotLockRootOut_AndTheyAreToldWhy()
    {
        await using var daemon = new TestDaemon(socketMode: "0666");
        daemon.AddShellService("web", "exec sleep 100000");
        await daemon.StartAsync();
        var baseline = Stopwatch.StartNew();
        await daemon.PmctlOkAsync("status");
        baseline.Stop();

        using var flood = Process.Start(AsNobody("/bin/sh", "-c", "ulimit -n 4096; exec perl -e \"$0\" \"$1\" 2000", Flood, daemon.SocketPath))!;
        try
        {
            Assert.Equal("opened", await flood.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)));
            var during = Stopwatch.StartNew();
            await daemon.PmctlOkAsync("status");
            during.Stop();
            Console.WriteLine($"pmctl status as root: {baseline.ElapsedMilliseconds} ms before, {during.ElapsedMilliseconds} ms with 2000 connections of nobody open");
            Assert.True(during.Elapsed < TimeSpan.FromSeconds(1) || during.Elapsed < 10 * baseline.Elapsed,
                $"status took {during.ElapsedMilliseconds} ms (baseline {baseline.ElapsedMilliseconds} ms)");

            using var refused = Process.Start(AsNobody(Dist.Pmctl, "-s", daemon.SocketPath, "status"))!;
            var stderr = await refused.StandardError.ReadToEndAsync();
            await refused.WaitForExitAsync();
            Assert.Equal(1, refused.ExitCode);
            Assert.Contains("processmaster refused the connection: too many connections (uid 65534 may have 64", stderr);
        }
        finally
        {
            flood.Kill();
        }

        Assert.False(daemon.HasExited);
    }

    [SystemFact]
    public async Task AConnectionThatNeverSaysHello_IsClosedAfterTheHelloTimeout_WithAReason()
    {
        await using var daemon = new TestDaemon();
        await daemon.StartAsync();
        using var socket = new RawSocket(daemon.SocketPath);
        var goodbye = await socket.ReadLineAsync(TimeSpan.FromSeconds(60));
        Assert.NotNull(goodbye);
        var error = JsonDocument.Parse(goodbye).RootElement.GetProperty("error");
        Assert.Equal(RpcErrorCodes.Unavailable, error.GetProperty("code").GetInt32());
        Assert.Equal("no hello within 10 s; closing the connection", error.GetProperty("message").GetString());
        Assert.Null(await socket.ReadLineAsync(TimeSpan.FromSeconds(10)));
    }
}
