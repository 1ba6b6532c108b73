using System.Globalization;
using ProcessMaster.IntegrationTests.Support;

namespace ProcessMaster.IntegrationTests;

/// <summary>What the daemon gives back once requests stop: the heap they grew, and the executable's pages they mapped.</summary>
public class DaemonMemoryTests
{
    [SystemFact]
    public async Task AfterABurstOfRequests_TheDaemonsCodePagesAreUnmapped_OnceItIsQuiet_AndRequestsStillWork()
    {
        await using var daemon = new TestDaemon();
        for (var i = 0; i < 10; i++)
        {
            daemon.AddShellService($"s{i}", "exec sleep 1000");
        }

        await daemon.StartAsync();
        for (var i = 0; i < 20; i++)
        {
            await daemon.PmctlOkAsync("status");
        }

        var busy = CodeKib(daemon.Pid);
        // The trim comes two seconds after the last request; a loaded machine may take longer to run it.
        var quiet = busy;
        for (var deadline = DateTime.UtcNow.AddSeconds(30); DateTime.UtcNow < deadline && quiet > busy / 2; await Task.Delay(250))
        {
            quiet = CodeKib(daemon.Pid);
        }

        Assert.True(quiet <= busy / 2, $"the executable's text stayed mapped: {busy} KiB busy, {quiet} KiB quiet");
        Assert.Contains("s9", await daemon.PmctlOkAsync("status")); // mapped back on demand
        Assert.True(CodeKib(daemon.Pid) > quiet);
    }

    /// <summary>Resident KiB of the daemon executable's code mapping.</summary>
    private static long CodeKib(int pid)
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
            else if (inCode && fields[0] == "Rss:")
            {
                total += long.Parse(fields[1], CultureInfo.InvariantCulture);
            }
        }

        return total;
    }
}
