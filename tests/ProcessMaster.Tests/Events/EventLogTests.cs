using System.Text;
using Microsoft.Extensions.Time.Testing;
using ProcessMaster.Core.Events;
using ProcessMaster.Core.Supervision;
using ProcessMaster.Tests.Support;

namespace ProcessMaster.Tests.Events;

/// <summary>No service can flush the history (issue 41, item 5), and no file can make loading it expensive (item 6).</summary>
public class EventLogTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-12-07T10:00:00Z"));

    [Fact]
    public void AHundredThousandDatagramsOfOneService_EvictNeitherTheOperatorsAuditNorOtherServicesEvents()
    {
        using var dir = new TempDirectory();
        var file = Path.Combine(dir.Path, "events.jsonl");
        var log = new EventLog(file, _time);
        log.Record("b", new OperatorAction("root", "stop", "b"));
        log.Record(null, new DefinitionRejected("x.yaml", 3, 1, null, "bad"));
        log.Record("quiet", new StateChanged(ServiceState.Starting, ServiceState.Running, CauseKind.Boot, "running (pid 7)", 7), EventOrigin.Service);
        for (var i = 0; i < 100_000; i++)
        {
            log.Record("noisy", i % 2 == 0 ? new NotifyHeard(NotifyKind.Stopping) : new NotifyHeard(NotifyKind.MainPidIgnored, i, i), EventOrigin.Service);
            if (i % 1000 == 0)
            {
                _time.Advance(TimeSpan.FromMilliseconds(10)); // about a second for all of them
            }
        }

        var all = log.Last(10_000);
        Assert.Contains(all, e => e.Event is OperatorAction { By: "root", Action: "stop", Target: "b" });
        Assert.Contains(all, e => e.Event is DefinitionRejected { File: "x.yaml", Line: 3 });
        Assert.Contains(all, e => e.App == "quiet");
        Assert.InRange(all.Count(e => e.App == "noisy"), 1, ServiceEventGate.Burst + ServiceEventGate.PerSecond * 4);
        Assert.True(log.Dropped > 99_000, $"{log.Dropped} dropped");

        // The daemon's part of the file is not rotated by what the service said.
        Assert.False(File.Exists(file + ".1"));
        Assert.Contains("stop b by root", File.ReadAllText(file));
        var reloaded = new EventLog(file, _time).Last(10_000);
        Assert.Equal(all.Select(e => e.Event), reloaded.Select(e => e.Event)); // kinds and fields, read back
    }

    [Fact]
    public void OnceTheServiceIsWithinItsBudgetAgain_TheCountOfWhatWasNotRecordedIs()
    {
        var log = new EventLog(null, _time);
        for (var i = 0; i < ServiceEventGate.Burst + 50; i++)
        {
            log.Record("noisy", new Notice("probe", $"check {i}"), EventOrigin.Service);
        }

        Assert.Equal(50, log.Dropped);
        _time.Advance(TimeSpan.FromSeconds(1)); // the flush timer: the budget has room again
        var summary = log.Last(1).Single();
        Assert.Equal("noisy", summary.App);
        Assert.Equal(new EventsHeldBack(50, ServiceEventGate.Burst, ServiceEventGate.PerSecond), summary.Event);
        log.Record("noisy", new Notice("probe", "check after"), EventOrigin.Service);
        Assert.Equal(new Notice("probe", "check after"), log.Last(1).Single().Event);
    }

    [Fact]
    public void AStreakOfTheSameEvent_IsRecordedOnce_ThenAsHowOftenItRepeated()
    {
        var log = new EventLog(null, _time);
        var stopping = new NotifyHeard(NotifyKind.Stopping);
        for (var i = 0; i < 5; i++)
        {
            log.Record("web", stopping, EventOrigin.Service);
        }

        Assert.Single(log.Last(100));
        var change = new StateChanged(ServiceState.Running, ServiceState.Stopping, Cause.Operator("root"), "stopping (operator)");
        log.Record("web", change, EventOrigin.Service);
        Assert.Equal([stopping, new Repeated(stopping, 4), change], log.Last(100).Select(e => e.Event));
        Assert.Equal("the service says it is stopping (STOPPING=1) (repeated 4 more time(s))", log.Last(2)[0].Message);
        Assert.Equal("notify", log.Last(2)[0].Component);

        // A streak that goes quiet is reported by the flush timer; the daemon's own repeats are all kept.
        var unhealthy = new ProbeChanged(ProbeKind.Readiness, ProbeVerdict.Unhealthy, "exec true", 3, "exit code 1");
        log.Record("web", unhealthy, EventOrigin.Service);
        log.Record("web", unhealthy, EventOrigin.Service);
        var update = new OperatorAction("root", "update");
        log.Record(null, update);
        log.Record(null, update);
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal([unhealthy, update, update, new Repeated(unhealthy, 1)], log.Last(4).Select(e => e.Event));
    }

    [Fact]
    public void BothPartsOfTheHistory_AreReadTogetherInTheOrderTheyHappened()
    {
        using var dir = new TempDirectory();
        var file = Path.Combine(dir.Path, "events.jsonl");
        var log = new EventLog(file, _time);
        for (var i = 0; i < 6; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(1));
            log.Record(i % 2 == 0 ? null : "web", new Notice("c", $"e{i}"), i % 3 == 0 ? EventOrigin.Daemon : EventOrigin.Service);
        }

        Assert.Equal(["e0", "e1", "e2", "e3", "e4", "e5"], log.Last(10).Select(e => e.Message));
        Assert.Equal(["e1", "e3", "e5"], log.Last(10, "web").Select(e => e.Message));
        Assert.Equal(["e4", "e5"], log.Last(2).Select(e => e.Message));
        Assert.True(File.Exists(EventLog.ServicesFile(file)));
        Assert.Equal(["e0", "e1", "e2", "e3", "e4", "e5"], new EventLog(file, _time).Last(10).Select(e => e.Message));
    }

    [Fact]
    public void AHugeTornTail_IsSkippedAndCounted_WithoutReadingItIntoMemory()
    {
        using var dir = new TempDirectory();
        var file = Path.Combine(dir.Path, "events.jsonl");
        new EventLog(file, _time).Record(null, new Notice("boot", "before the crash"));
        using (var stream = new FileStream(file, FileMode.Append))
        {
            var junk = new byte[1024 * 1024];
            Array.Fill(junk, (byte)'x');
            for (var i = 0; i < 64; i++)
            {
                stream.Write(junk); // 64 MB and no newline, as a disk error can leave
            }
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        var reloaded = new EventLog(file, _time);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 4 * 1024 * 1024, $"loading allocated {allocated / 1024} KB");
        Assert.Equal(1, reloaded.SkippedAtLoad);
        Assert.Equal(["before the crash"], reloaded.Last(10).Select(e => e.Message));
    }

    [Fact]
    public void AfterATornWrite_TheNextEventIsALineOfItsOwn()
    {
        using var dir = new TempDirectory();
        var file = Path.Combine(dir.Path, "events.jsonl");
        new EventLog(file, _time).Record(null, new Notice("boot", "before the crash"));
        File.AppendAllText(file, "{\"ts\":\"2026-12-07T10:00:00Z\",\"app\":nu");

        new EventLog(file, _time).Record(null, new Notice("boot", "after the crash"));
        var reloaded = new EventLog(file, _time);
        Assert.Equal(["before the crash", "after the crash"], reloaded.Last(10).Select(e => e.Message));
        Assert.Equal(1, reloaded.SkippedAtLoad); // the torn line, now a line of its own
    }

    [Theory]
    [InlineData("a\nb\nc\n", 10, "a|b|c", 0)]
    [InlineData("a\nb\nc\n", 2, "b|c", 0)]
    [InlineData("a\nb\ntorn", 10, "a|b", 0)]
    [InlineData("only torn", 10, "", 0)]
    [InlineData("", 10, "", 0)]
    [InlineData("\n\na\n", 10, "a", 0)]
    public void LastLines_ReadFromTheEnd(string text, int count, string expected, int skipped)
    {
        var lines = EventHistoryReader.LastLines(new MemoryStream(Encoding.UTF8.GetBytes(text)), count, out var overlong);
        Assert.Equal(expected, string.Join('|', lines));
        Assert.Equal(skipped, overlong);
    }

    [Fact]
    public void LastLines_SkipsAnOverlongLineInTheMiddle_AndKeepsLinesThatSpanBlocks()
    {
        var spanning = new string('s', 100_000 - 1);
        var longLine = new string('L', EventHistoryReader.MaxLineBytes + 1);
        var text = $"first\n{longLine}\n{spanning[..(EventHistoryReader.MaxLineBytes - 10)]}\nlast\n";
        var lines = EventHistoryReader.LastLines(new MemoryStream(Encoding.UTF8.GetBytes(text)), 10, out var overlong);
        Assert.Equal(["first", spanning[..(EventHistoryReader.MaxLineBytes - 10)], "last"], lines);
        Assert.Equal(1, overlong);
    }
}
