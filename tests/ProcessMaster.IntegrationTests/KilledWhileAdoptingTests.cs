using System.Text.Json;
using ProcessMaster.IntegrationTests.Support;
using ProcessMaster.Protocol;

namespace ProcessMaster.IntegrationTests;

/// <summary>
/// A daemon SIGKILLed while it takes over 200 running services (in a re-exec, or in the boot after a crash)
/// leaves the next daemon all of them to adopt: no service is restarted, whatever the moment (issue 41, item 1).
/// </summary>
public class KilledWhileAdoptingTests
{
    private const int Services = 200;

    /// <summary>Where a round kills the daemon: as soon as the taking-over daemon first rewrote the state file, or a delay after the hand-over began.</summary>
    private static readonly TimeSpan?[] KillPoints =
        [null, TimeSpan.Zero, TimeSpan.FromMilliseconds(30), TimeSpan.FromMilliseconds(60), TimeSpan.FromMilliseconds(90), TimeSpan.FromMilliseconds(150)];

    [SystemFact]
    public async Task KilledAtAnyPointOfAReexec_TheNextDaemonAdoptsEveryService_NoneRestarts()
    {
        await using var daemon = await StartWithServicesAsync();
        var running = await RunningAsync(daemon);
        foreach (var point in KillPoints)
        {
            var generation = SavedGeneration(daemon);
            ProcessMaster.Core.Interop.Libc.Kill(daemon.Pid, 12); // SIGUSR2
            await KillAtAsync(daemon, point, generation);
            await daemon.StartAsync();
            await AssertAllAdoptedAsync(daemon, running, $"killed {Describe(point)} of a re-exec");
        }
    }

    [SystemFact]
    public async Task KilledAtAnyPointOfTheBootAfterACrash_TheNextDaemonAdoptsEveryService_NoneRestarts()
    {
        await using var daemon = await StartWithServicesAsync();
        var running = await RunningAsync(daemon);
        foreach (var point in KillPoints)
        {
            await daemon.KillAsync();
            var generation = SavedGeneration(daemon);
            await daemon.StartAsync(waitReady: false);
            await KillAtAsync(daemon, point, generation);
            await daemon.StartAsync();
            await AssertAllAdoptedAsync(daemon, running, $"killed {Describe(point)} of a boot after a crash");
        }
    }

    private static async Task<TestDaemon> StartWithServicesAsync()
    {
        var daemon = new TestDaemon();
        for (var i = 0; i < Services; i++)
        {
            daemon.AddShellService($"s{i:000}", "exec sleep 100000");
        }

        await daemon.StartAsync();
        return daemon;
    }

    /// <summary>Every service's main pid, once all run and the state file holds them.</summary>
    private static async Task<Dictionary<string, int>> RunningAsync(TestDaemon daemon)
    {
        var all = await Eventually.ValueAsync(() => StatusAsync(daemon), s => s.Count == Services && s.All(x => x.State == "RUNNING"),
            TimeSpan.FromSeconds(60), "every service to run");
        var pids = all.ToDictionary(s => s.Name, s => s.MainPid!.Value);
        await Eventually.TrueAsync(() => SavedPids(daemon) is { } saved && pids.All(p => saved.GetValueOrDefault(p.Key) == p.Value),
            TimeSpan.FromSeconds(10), "every main pid to be saved");
        return pids;
    }

    private static async Task KillAtAsync(TestDaemon daemon, TimeSpan? point, int generation)
    {
        if (point is { } delay)
        {
            await Task.Delay(delay);
        }
        else
        {
            // The taking-over daemon's first write: before the fix, it held only the services adopted so far.
            await Eventually.TrueAsync(() => SavedGeneration(daemon) > generation || daemon.HasExited, TimeSpan.FromSeconds(30),
                "the taking-over daemon to rewrite the state file", poll: TimeSpan.FromMilliseconds(1));
        }

        await daemon.KillAsync();
    }

    private static async Task AssertAllAdoptedAsync(TestDaemon daemon, Dictionary<string, int> running, string when)
    {
        var all = await Eventually.ValueAsync(() => StatusAsync(daemon), s => s.Count == Services, TimeSpan.FromSeconds(30), "every service's status");
        var restarted = all.Where(s => (s.State, s.MainPid, s.Restarts) != ("RUNNING", running[s.Name], 0))
            .Select(s => $"{s.Name} {s.State} pid {s.MainPid} (was {running[s.Name]}) restarts {s.Restarts}").ToList();
        Assert.True(restarted.Count == 0, $"{when}: {restarted.Count} of {Services} services were not adopted: {string.Join("; ", restarted.Take(5))}");
        Assert.Empty((await daemon.EventsAsync(n: 2000)).OfKind("leftovers_found"));
    }

    private static string Describe(TimeSpan? point) => point is { } delay ? $"{delay.TotalMilliseconds} ms into the hand-over" : "at the first rewrite of the state file";

    private static async Task<List<ServiceStatus>> StatusAsync(TestDaemon daemon)
    {
        await using var client = await daemon.ConnectAsync();
        return (await client.CallAsync(Methods.Status, new OptionalNameParams())).Services;
    }

    private static string StateFile(TestDaemon daemon) => Path.Combine(daemon.Directory, "state", "supervision.json");

    private static int SavedGeneration(TestDaemon daemon)
    {
        try
        {
            using var saved = JsonDocument.Parse(File.ReadAllBytes(StateFile(daemon)));
            return saved.RootElement.GetProperty("generation").GetInt32();
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return 0;
        }
    }

    private static Dictionary<string, int>? SavedPids(TestDaemon daemon)
    {
        try
        {
            using var saved = JsonDocument.Parse(File.ReadAllBytes(StateFile(daemon)));
            return saved.RootElement.GetProperty("services").EnumerateObject()
                .Where(s => s.Value.GetProperty("state").GetProperty("run").GetProperty("main_pid").ValueKind == JsonValueKind.Number)
                .ToDictionary(s => s.Name, s => s.Value.GetProperty("state").GetProperty("run").GetProperty("main_pid").GetInt32());
        }
        catch (Exception e) when (e is IOException or JsonException or KeyNotFoundException)
        {
            return null;
        }
    }
}
