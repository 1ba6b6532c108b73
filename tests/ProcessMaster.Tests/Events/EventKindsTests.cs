using System.Reflection;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using ProcessMaster.Core.Events;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Supervision;
using ProcessMaster.Tests.Support;

namespace ProcessMaster.Tests.Events;

/// <summary>
/// Every kind of event is listed (it has a name in the file and on the wire), is rendered (text and component),
/// and reads back from the event file as the same kind with the same fields; files written before kinds existed,
/// or by a newer daemon, still read as their text.
/// </summary>
public class EventKindsTests
{
    private static IEnumerable<Type> Kinds() => typeof(Event).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(Event)) && !t.IsAbstract);

    /// <summary>An instance of <paramref name="kind"/> with a value in every field.</summary>
    private static Event Sample(Type kind)
    {
        var constructor = kind.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
        return (Event)constructor.Invoke([.. constructor.GetParameters().Select(p => SampleValue(p.ParameterType))]);
    }

    private static object? SampleValue(Type type) => (Nullable.GetUnderlyingType(type) ?? type) switch
    {
        var t when t == typeof(string) => "x",
        var t when t == typeof(int) => 3,
        var t when t == typeof(long) => 4L,
        var t when t == typeof(bool) => true,
        var t when t == typeof(TimeSpan) => TimeSpan.FromSeconds(5),
        var t when t == typeof(DateTimeOffset) => DateTimeOffset.Parse("2026-12-07T10:00:00Z"),
        var t when t == typeof(ExitStatus) => ExitStatus.Exited(1),
        var t when t == typeof(Cause) => Cause.Operator("alice"),
        var t when t == typeof(IReadOnlyList<int>) => new List<int> { 7, 8 },
        var t when t == typeof(IReadOnlyList<string>) => new List<string> { "a", "b" },
        var t when t == typeof(Event) => new DependenciesMet(),
        var t when t.IsEnum => Enum.GetValues(t).GetValue(Enum.GetValues(t).Length - 1),
        var t => throw new InvalidOperationException($"no sample for {t.Name}: add one"),
    };

    public static TheoryData<string> KindNames => [.. Kinds().Select(k => k.Name)];

    [Theory]
    [MemberData(nameof(KindNames))]
    public void EveryKind_IsListed_Rendered_AndReadBackWithItsFields(string name)
    {
        var kind = Kinds().Single(k => k.Name == name);
        var sample = Sample(kind);
        Assert.True(EventJson.All.ContainsKey(kind), $"{name} is not listed on Event ([JsonDerivedType])");
        Assert.Matches("^[a-z_]+$", sample.Kind);
        Assert.False(string.IsNullOrWhiteSpace(sample.Component));
        Assert.False(string.IsNullOrWhiteSpace(sample.Render()));

        var element = EventJson.ToElement(sample);
        Assert.Equal(sample.Kind, element.GetProperty("kind").GetString());
        var line = EventJson.Serialize(new EventEntry(DateTimeOffset.UnixEpoch, "web", sample).ToLine());
        var read = EventLineReader.Read(line)!;
        Assert.IsType(kind, read.Event);
        Assert.Equal(element.GetRawText(), EventJson.ToElement(read.Event).GetRawText());
        Assert.Equal(sample.Render(), read.Message);
    }

    [Fact]
    public void EveryStateOfTheMachine_AndEveryCause_HasANameOnTheWire()
    {
        foreach (var cause in Enum.GetValues<CauseKind>())
        {
            Assert.Matches("^[a-z_]+$", new Cause(cause).Name);
        }

        var change = new StateChanged(ServiceState.Running, ServiceState.Backoff, CauseKind.PolicyRestart, "r", 7, ExitStatus.Killed(9));
        var json = EventJson.ToElement(change);
        Assert.Equal("RUNNING", json.GetProperty("from").GetString());
        Assert.Equal("BACKOFF", json.GetProperty("to").GetString());
        Assert.Equal("policy_restart", json.GetProperty("cause").GetProperty("kind").GetString());
        Assert.Equal(9, json.GetProperty("exit").GetProperty("signal").GetInt32());
    }

    [Fact]
    public void ALineWrittenBeforeEventsHadKinds_ReadsAsItsText()
    {
        var read = EventLineReader.Read("""{"ts":"2026-12-01T10:00:00+00:00","app":"web","component":"state","message":"STARTING -> RUNNING: running (pid 7)"}""")!;
        Assert.Equal(("web", "state", "STARTING -> RUNNING: running (pid 7)"), (read.App, read.Component, read.Message));
        Assert.Equal(new Notice("state", "STARTING -> RUNNING: running (pid 7)"), read.Event);
    }

    [Fact]
    public void ALineOfAKindThisDaemonDoesNotKnow_ReadsAsItsText_AndAMalformedOneIsSkipped()
    {
        var read = EventLineReader.Read("""{"ts":"2026-12-01T10:00:00+00:00","app":null,"component":"hooks","message":"on_failure ran","event":{"kind":"hook_ran","exit":0}}""")!;
        Assert.Equal(new Notice("hooks", "on_failure ran"), read.Event);
        Assert.Null(EventLineReader.Read("""{"ts":"2026-12-01T10:00:00+00:00","event":{"kind":"hook_ran"}}"""));
        // Fields missing or null where the kind needs them, the kind not first, nested beyond reason: the text is what is kept.
        foreach (var e in new[]
        {
            """{"kind":"leftovers_found","pids":null}""", """{"kind":"signal_sent"}""", """{"signal":15,"processes":1,"kind":"signal_sent"}""",
            string.Concat(Enumerable.Repeat("""{"kind":"repeated","times":1,"original":""", 100)) + """{"kind":"dependencies_met"}""" + new string('}', 100),
        })
        {
            var kept = EventLineReader.Read($$"""{"ts":"2026-12-01T10:00:00+00:00","app":"web","component":"stop","message":"said","event":{{e}}}""")!;
            Assert.Equal(new Notice("stop", "said"), kept.Event);
        }
        Assert.Null(EventLineReader.Read("not json"));
    }

    [Fact]
    public void TheEventFile_CarriesKindAndFields_BesideTheText()
    {
        using var dir = new TempDirectory();
        var file = Path.Combine(dir.Path, "events.jsonl");
        new EventLog(file, new FakeTimeProvider()).Record("web", new ProbeChanged(ProbeKind.Liveness, ProbeVerdict.LivenessFailed, "exec /bin/check", 3, "exit code 1"));
        var line = JsonDocument.Parse(File.ReadLines(file).Single()).RootElement;
        Assert.Equal("health", line.GetProperty("component").GetString());
        Assert.StartsWith("liveness probe (exec /bin/check) failed 3 time(s)", line.GetProperty("message").GetString());
        var e = line.GetProperty("event");
        Assert.Equal("probe_changed", e.GetProperty("kind").GetString());
        Assert.Equal("liveness", e.GetProperty("probe").GetString());
        Assert.Equal("liveness_failed", e.GetProperty("verdict").GetString());
        Assert.Equal(3, e.GetProperty("failures").GetInt32());
    }
}
