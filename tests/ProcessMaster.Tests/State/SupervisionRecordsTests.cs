using System.Text.Json;
using ProcessMaster.Core.State;
using ProcessMaster.Core.Supervision;
using ProcessMaster.Core.Supervision.Ports;
using ProcessMaster.Tests.Support;

namespace ProcessMaster.Tests.State;

/// <summary>
/// The state file describes every service that runs at every moment, also while a new daemon is still
/// adopting them: a daemon killed then must leave the next one all of them (issue 41, item 1).
/// </summary>
public class SupervisionRecordsTests
{
    private static SavedService Running(int pid) => new("F", new ServiceMachineState { State = ServiceState.Running, MainPid = pid, MainAlive = true });

    private static async Task<string> EarlierDaemonSavedAsync(TempDirectory dir, int services)
    {
        var file = Path.Combine(dir.Path, "supervision.json");
        var earlier = new SupervisionRecords(file, "boot", _ => { });
        for (var i = 0; i < services; i++)
        {
            earlier.Save($"s{i}", Running(1000 + i));
        }

        await earlier.FlushAsync();
        return file;
    }

    private static Dictionary<string, int> InFile(string file)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(file));
        return doc.RootElement.GetProperty("services").EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.GetProperty("state").GetProperty("main_pid").GetInt32());
    }

    [Fact(Timeout = 30_000)]
    public async Task AfterOneServiceSavesAgain_TheFileStillHoldsEveryRecordOfTheEarlierDaemon()
    {
        using var dir = new TempDirectory();
        var file = await EarlierDaemonSavedAsync(dir, 200);

        var next = new SupervisionRecords(file, "boot", _ => { });
        Assert.NotNull(next.Saved("s0"));
        Assert.NotNull(next.Saved("s1")); // taken by its supervisor, not yet saved again
        next.Save("s0", Running(5000));
        await next.FlushAsync();

        var saved = InFile(file);
        Assert.Equal(200, saved.Count);
        Assert.Equal(5000, saved["s0"]);
        Assert.Equal(1001, saved["s1"]);
        Assert.Equal(1199, saved["s199"]);

        // And the daemon after that one still adopts all of them.
        var third = new SupervisionRecords(file, "boot", _ => { });
        Assert.Equal(3, third.Generation);
        Assert.Equal(200, third.EarlierActive);
    }

    [Fact(Timeout = 30_000)]
    public async Task Retain_DropsTheEarlierRecordsOfServicesNoLongerConfigured_AndKeepsWhatWasSavedSince()
    {
        using var dir = new TempDirectory();
        var file = await EarlierDaemonSavedAsync(dir, 3);

        var next = new SupervisionRecords(file, "boot", _ => { });
        next.Retain(new HashSet<string> { "s0", "s1" });
        await next.FlushAsync();
        Assert.Equal(["s0", "s1"], InFile(file).Keys.Order());
        Assert.Null(next.Saved("s2"));

        next.Save("s2", Running(7)); // configured again later: what this daemon saves is kept
        next.Retain(new HashSet<string> { "s0" });
        next.Forget("s1");
        await next.FlushAsync();
        Assert.Equal(["s0", "s2"], InFile(file).Keys.Order());
    }

    [Fact(Timeout = 30_000)]
    public async Task DiscardEarlier_DropsOnlyTheEarlierDaemonsRecords()
    {
        using var dir = new TempDirectory();
        var file = await EarlierDaemonSavedAsync(dir, 3);

        var next = new SupervisionRecords(file, "boot", _ => { });
        next.DiscardEarlier();
        next.Save("fresh", Running(9));
        await next.FlushAsync();
        Assert.Equal(["fresh"], InFile(file).Keys);
        Assert.Equal(0, next.EarlierActive);
    }
}
