using System.Globalization;
using ProcessMaster.IntegrationTests.Support;

namespace ProcessMaster.IntegrationTests;

/// <summary>What the daemon gives back once boot or a burst of requests is over: the heap they grew, and the executable's pages they mapped.</summary>
public class DaemonMemoryTests
{
    [SystemFact]
    public async Task AfterABurstOfRequests_TheDaemonsCodePagesAreUnmapped_OnceItIsQuiet_AndRequestsStillWork()
    {
        await using var daemon = await StartWithServicesAsync();
        for (var i = 0; i < 20; i++)
        {
            await daemon.PmctlOkAsync("status");
        }

        var busy = CodeKib(daemon.Pid);
        // The trim comes two seconds after the last request.
        var quiet = await CodeKibOnceAsync(daemon.Pid, kib => kib <= busy / 2);

        Assert.True(quiet <= busy / 2, $"the executable's text stayed mapped: {busy} KiB busy, {quiet} KiB quiet");
        Assert.Contains("s9", await daemon.PmctlOkAsync("status")); // mapped back on demand
        Assert.True(CodeKib(daemon.Pid) > quiet);
    }

    [SystemFact]
    public async Task AMomentAfterBoot_WithNoRequest_TheCodeBootMappedIsGivenBack()
    {
        await using var daemon = await StartWithServicesAsync(); // waits for the ready line, asks nothing
        var atReady = CodeKib(daemon.Pid);
        var text = CodeKib(daemon.Pid, "Size:");
        // Down to half of what boot left mapped, or (where the boot-time page-out already worked) a quarter of the code.
        var quiet = await CodeKibOnceAsync(daemon.Pid, kib => kib <= atReady / 2 || kib <= text / 4);

        Assert.True(quiet <= atReady / 2 || quiet <= text / 4, $"boot's code stayed mapped: {atReady} KiB at ready, {quiet} KiB later, of {text} KiB");
    }

    [SystemFact]
    public async Task AfterASighupReload_WithNoRequest_TheNewServiceRuns_AndTheCodeTheReloadMappedIsGivenBack()
    {
        await using var daemon = await StartWithServicesAsync();
        var text = CodeKib(daemon.Pid, "Size:");
        await Eventually.TrueAsync(() => CodeKib(daemon.Pid) <= text / 4, TimeSpan.FromSeconds(30), "boot's trim");

        daemon.AddShellService("added", "exec sleep 1000");
        ProcessMaster.Core.Interop.Libc.Kill(daemon.Pid, 1); // SIGHUP: reload, no request
        try
        {
            await Eventually.TrueAsync(() => daemon.Output.Contains("app=added STARTING -> RUNNING"), TimeSpan.FromSeconds(30), "the added service to run");
        }
        catch (TimeoutException e)
        {
            var alive = daemon.HasExited ? $"the daemon exited ({await daemon.ExitedAsync()})" : $"the daemon runs: {File.ReadAllText($"/proc/{daemon.Pid}/status").Split('\n').FirstOrDefault(l => l.StartsWith("State:", StringComparison.Ordinal))}";
            // Whether the reload happened and only its line was not seen, or it did not happen.
            var status = daemon.HasExited ? "" : (await daemon.PmctlAsync("status", "added")).Output;
            var signals = daemon.HasExited ? "" : ProcessTable.SignalsAndThreads(daemon.Pid);
            throw new TimeoutException($"{e.Message}; {alive}; status of added: {status}; {signals}; it said:\n{daemon.Output[^Math.Min(daemon.Output.Length, 6000)..]}", e);
        }
        var reloaded = CodeKib(daemon.Pid);
        var quiet = await CodeKibOnceAsync(daemon.Pid, kib => kib <= text / 4);

        Assert.True(quiet <= text / 4, $"the reload's code stayed mapped: {reloaded} KiB after it, {quiet} KiB later, of {text} KiB");
    }

    private static async Task<TestDaemon> StartWithServicesAsync()
    {
        var daemon = new TestDaemon();
        for (var i = 0; i < 10; i++)
        {
            daemon.AddShellService($"s{i}", "exec sleep 1000");
        }

        await daemon.StartAsync();
        return daemon;
    }

    /// <summary>
    /// The resident code once <paramref name="done"/> holds for it, or after 30 s (the caller's assertion then
    /// fails with the figure): a loaded machine may take a while to run a trim.
    /// </summary>
    private static async Task<long> CodeKibOnceAsync(int pid, Func<long, bool> done)
    {
        var kib = CodeKib(pid);
        for (var deadline = DateTime.UtcNow.AddSeconds(30); DateTime.UtcNow < deadline && !done(kib); await Task.Delay(100))
        {
            kib = CodeKib(pid);
        }

        return kib;
    }

    /// <summary>KiB of the daemon executable's code mapping: resident (<c>Rss:</c>) or its whole size (<c>Size:</c>).</summary>
    private static long CodeKib(int pid, string field = "Rss:")
    {
        var inCode = false;
        long total = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/smaps"))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 5 && fields[0].Contains('-') && char.IsAsciiHexDigit(line[0]))
            {
                inCode = fields.Length == 6 && fields[1] == "r-xp" && fields[5].EndsWith("/processmaster", StringComparison.Ordinal);
            }
            else if (inCode && fields[0] == field)
            {
                total += long.Parse(fields[1], CultureInfo.InvariantCulture);
            }
        }

        return total;
    }
}
