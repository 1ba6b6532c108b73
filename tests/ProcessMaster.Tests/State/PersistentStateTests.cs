using ProcessMaster.Core.State;
using ProcessMaster.Tests.Support;

namespace ProcessMaster.Tests.State;

public class PersistentStateTests
{
    [Fact]
    public async Task ConcurrentStops_AreAllOnDiskOnceTheirSavesComplete()
    {
        using var dir = new TempDirectory();
        var file = Path.Combine(dir.Path, "state", "state.json");
        var state = new PersistentState(file);

        await Task.WhenAll(Enumerable.Range(0, 300).Select(i => Task.Run(() => state.SetStoppedByOperatorAsync($"app{i}", true))));

        var reloaded = new PersistentState(file);
        Assert.All(Enumerable.Range(0, 300), i => Assert.True(reloaded.IsStoppedByOperator($"app{i}")));
    }

    [Fact]
    public async Task StartAfterStop_AndRetain_RemoveEntriesOnDisk()
    {
        using var dir = new TempDirectory();
        var file = Path.Combine(dir.Path, "state.json");
        var state = new PersistentState(file);
        await state.SetStoppedByOperatorAsync("web", true);
        await state.SetStoppedByOperatorAsync("worker", true);
        await state.SetStoppedByOperatorAsync("gone", true);

        await state.SetStoppedByOperatorAsync("web", false);
        await state.RetainAsync(["web", "worker"]);

        var reloaded = new PersistentState(file);
        Assert.False(reloaded.IsStoppedByOperator("web"));
        Assert.True(reloaded.IsStoppedByOperator("worker"));
        Assert.False(reloaded.IsStoppedByOperator("gone"));
    }

    [Fact]
    public async Task UnwritableStateFile_FailsTheSave()
    {
        using var dir = new TempDirectory();
        var file = Path.Combine(dir.Path, "state.json");
        var state = new PersistentState(file);
        Directory.CreateDirectory(file); // a directory where the file should be: the rename cannot replace it

        await Assert.ThrowsAnyAsync<IOException>(() => state.SetStoppedByOperatorAsync("web", true));
    }
}
