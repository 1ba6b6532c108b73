using System.Text.Json;
using ProcessMaster.Core.Interop;
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
    private static SavedService Running(int pid) => new("F", new ServiceMachineState { State = ServiceState.Running, Run = new RunRecord { MainPid = pid, MainAlive = true } });

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
            .ToDictionary(p => p.Name, p => p.Value.GetProperty("state").GetProperty("run").GetProperty("main_pid").GetInt32());
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

    /// <summary>What a daemon of the flat state (version 1) saved of a running service, as it wrote it.</summary>
    private const string Version1File = """
        {"version": 1, "boot_id": "boot", "generation": 4, "services": {"web": {"fingerprint": "fp", "state": {"state": "Running", "supervised": true, "state_since": "2026-12-01T10:00:00+00:00", "phase": "None", "stop_reason": "Restart", "restart_as": "Operator", "main_pid": 4242, "main_alive": true, "last_exit": {"code": 3, "signal": null, "success": false}, "last_error": null, "last_start_attempt": "2026-12-01T10:00:00+00:00", "last_start_monotonic": "00:01:40", "last_run_duration": "00:00:12", "restarts": 2, "stopped_by_operator": false, "forced_while_disabled": false, "last_run_overtime": false, "crashes": ["00:00:50", "00:01:30"], "timer_generation": 17, "exec_error": null, "exec_confirmed": true, "pending_stop": null, "next_run": null, "last_fired": null, "schedule_generation": 3, "schedule_end_reported": false, "schedule_halted": false, "started_as": "AutoRestart", "operator_name": "alice", "runs": 3, "dependencies": {"db": {"state": "Running", "ready": true, "enabled": true, "runs": 1, "seq": 9}}, "started_after": {"db": 1}, "waiting_since": null, "waiting_as": "Boot", "ignore_dependencies": false, "ready": true, "was_ready": true, "readiness_passes": 2, "readiness_failures": 0, "liveness_failures": 0, "probe_generation": 5, "notify_status": "serving", "said_stopping": false}}}}
        """;

    [Fact(Timeout = 30_000)]
    public async Task AFileOfVersion1_IsAdopted_AndWrittenOnAsTheCurrentVersion()
    {
        using var dir = new TempDirectory();
        var file = Path.Combine(dir.Path, "supervision.json");
        File.WriteAllText(file, Version1File);
        Assert.Null(SupervisionRecords.Validate(file));

        var next = new SupervisionRecords(file, "boot", _ => { });
        Assert.Null(next.LoadError);
        Assert.Equal(5, next.Generation);
        Assert.Equal(1, next.EarlierActive);
        var saved = next.Saved("web")!.State;
        Assert.Equal(ServiceState.Running, saved.State);
        Assert.Equal(new RunRecord { Number = 3, StartedAs = StartReason.AutoRestart, StartedAt = saved.StateSince, StartedMonotonic = TimeSpan.FromSeconds(100),
            MainPid = 4242, MainAlive = true, ExecConfirmed = true, NotifyStatus = "serving", StartedAfter = saved.Run.StartedAfter }, saved.Run);
        Assert.Equal(1, saved.Run.StartedAfter["db"]);
        Assert.Equal(2, saved.Restarts.Count);
        Assert.Equal([TimeSpan.FromSeconds(50), TimeSpan.FromSeconds(90)], saved.Restarts.Crashes.ToArray());
        Assert.Equal(new ProbeRecord { Generation = 5, Ready = true, WasReady = true, ReadinessPasses = 2 }, saved.Probes);
        Assert.Equal(new StopRecord { Reason = StopReason.Restart, RestartAs = StartReason.Operator }, saved.Stop);
        Assert.Equal(new ScheduleRecord { Generation = 3 }, saved.Schedule);
        Assert.Equal((17L, "alice", ExitStatus.Exited(3), TimeSpan.FromSeconds(12)), (saved.TimerGeneration, saved.OperatorName, saved.LastExit, saved.LastRunDuration));

        // Carried unchanged until its supervisor saves again, then in the current shape.
        next.Save("web", new SavedService("fp", saved));
        await next.FlushAsync();
        using var doc = JsonDocument.Parse(File.ReadAllText(file));
        Assert.Equal(2, doc.RootElement.GetProperty("version").GetInt32());
        Assert.Equal(4242, InFile(file)["web"]);
    }
}
