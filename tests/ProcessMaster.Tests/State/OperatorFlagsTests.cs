using Microsoft.Extensions.Time.Testing;
using ProcessMaster.Core.State;
using ProcessMaster.Tests.Support;

namespace ProcessMaster.Tests.State;

public class OperatorFlagsTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 10, 0, 0, TimeSpan.Zero));
    private readonly List<string> _events = [];

    private OperatorFlags Open(string file) => new(file, _time, (service, message) => { lock (_events) { _events.Add($"{service}: {message}"); } });

    [Fact]
    public async Task FlagsWithATtl_ExpireBythemselves_AndSaySo_WhileOthersStay()
    {
        using var dir = new TempDirectory();
        using var flags = Open(Path.Combine(dir.Path, "flags.json"));
        await flags.SetAsync("web", ["maintenance"], TimeSpan.FromHours(2), "root via pmctl");
        await flags.SetAsync("web", ["ticket-4711"], null, "ops via web 10.0.0.5");
        Assert.Equal([new OperatorFlag("maintenance", _time.GetUtcNow().AddHours(2)), new OperatorFlag("ticket-4711", null)], flags.Of("web"));
        Assert.Contains("web: flag ticket-4711 set by ops via web 10.0.0.5", _events);

        _time.Advance(TimeSpan.FromHours(2) - TimeSpan.FromSeconds(1));
        Assert.Equal(2, flags.Of("web").Count);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal([new OperatorFlag("ticket-4711", null)], flags.Of("web"));
        Assert.Contains("web: flag maintenance expired", _events);
    }

    [Fact]
    public async Task Flags_SurviveAReopen_AndOnesThatExpiredMeanwhileAreDroppedWithAnEvent()
    {
        using var dir = new TempDirectory();
        var file = Path.Combine(dir.Path, "state", "flags.json");
        using (var flags = Open(file))
        {
            await flags.SetAsync("web", ["maintenance"], TimeSpan.FromMinutes(5), "root via pmctl");
            await flags.SetAsync("db", ["keep"], null, "root via pmctl");
            await flags.FlushAsync();
        }

        _time.Advance(TimeSpan.FromMinutes(10));
        using var reopened = Open(file);
        Assert.Empty(reopened.Of("web"));
        Assert.Equal([new OperatorFlag("keep", null)], reopened.Of("db"));
        Assert.Contains("web: flag maintenance expired", _events);
    }

    [Fact]
    public async Task Remove_SaysWhatWasNotThere_AndRetainForgetsRemovedServices()
    {
        using var dir = new TempDirectory();
        using var flags = Open(Path.Combine(dir.Path, "flags.json"));
        await flags.SetAsync("web", ["a", "b"], null, "root via pmctl");
        await flags.SetAsync("gone", ["x"], null, "root via pmctl");
        var (saved, missing) = flags.Remove("web", ["a", "zzz"], "root via pmctl");
        await saved;
        Assert.Equal(["zzz"], missing);
        Assert.Equal([new OperatorFlag("b", null)], flags.Of("web"));
        await flags.RetainAsync(["web"]);
        Assert.Empty(flags.Of("gone"));
    }

    [Theory]
    [InlineData("maintenance", true)]
    [InlineData("Ticket_4711-b", true)]
    [InlineData("12345678901234567890", true)]
    [InlineData("123456789012345678901", false)]
    [InlineData("", false)]
    [InlineData("with space", false)]
    [InlineData("semi;colon", false)]
    [InlineData("ünïcode", false)]
    public void FlagNames_AreShortAsciiLabels(string name, bool valid) => Assert.Equal(valid, OperatorFlags.Invalid(name) is null);

    [Fact]
    public async Task AServiceHasAtMost32Flags()
    {
        using var dir = new TempDirectory();
        using var flags = Open(Path.Combine(dir.Path, "flags.json"));
        await flags.SetAsync("web", [.. Enumerable.Range(0, 32).Select(i => $"f{i}")], null, "root via pmctl");
        Assert.Throws<ArgumentException>(() => { _ = flags.SetAsync("web", ["one-more"], null, "root via pmctl"); });
        Assert.Equal(32, flags.Of("web").Count);
    }
}
