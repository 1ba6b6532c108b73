using ProcessMaster.Core.Cgroups;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Events;
using ProcessMaster.Core.Files;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Processes;
using ProcessMaster.Core.Supervision.Ports;

namespace ProcessMaster.Core.AdminActions;

/// <summary>
/// Operator-triggered commands from the master config: run as root in the daemon's working directory,
/// in the <c>admin_actions</c> cgroup, output appended to <c>logs/admin_action_std{out,err}.log</c>.
/// Fire-and-forget: the call returns with the pid, and the process is reaped whenever it ends (it may
/// even restart the daemon).
/// </summary>
public sealed class AdminActionRunner(
    IReadOnlyList<AdminActionDefinition> actions,
    CgroupLayout layout,
    EventLoop loop,
    ProcessLauncher launcher,
    ChildReaper reaper,
    EventLog events,
    string logDirectory)
{
    public IReadOnlyList<AdminActionDefinition> Actions => actions;

    public AdminActionDefinition? Find(string id) => actions.FirstOrDefault(a => a.Id == id);

    /// <param name="by">Who asked, for the events.</param>
    public async Task<int> RunAsync(AdminActionDefinition action, string by)
    {
        using var logs = SafeDirectory.Open(logDirectory, create: true);
        using var stdout = logs.OpenForAppend("admin_action_stdout.log", Logs.LogFile.FileMode, FileOwners.RootOnly);
        using var stderr = logs.OpenForAppend("admin_action_stderr.log", Logs.LogFile.FileMode, FileOwners.RootOnly);
        var environment = ServiceEnvironment.Build(
            new ProcessSettings(action.Command, 15, null, TimeSpan.Zero, null, null, EquatableArray<EnvironmentVariable>.Empty, false),
            null,
            [KeyValuePair.Create("PROCESSMASTER_ADMIN_ACTION", action.Id)]);
        var spec = new LaunchSpec(
            [Path.Combine(layout.AdminActions, "cgroup.procs")],
            null,
            Environment.CurrentDirectory,
            action.Command,
            null,
            environment,
            OutputTarget.File(stdout),
            OutputTarget.File(stderr));
        events.Record(null, new AdminActionEvent(AdminStep.Run, action.Id, by, action.Label, [.. action.Command]));
        var launched = await reaper.SpawnAsync(() => launcher.Launch(spec), l => l.Pid,
            (l, status) => events.Record(null, new AdminActionEvent(AdminStep.Ended, action.Id, Pid: l.Pid, Exit: status)));
        if (await ExecStatus.ReadAsync(loop, launched.ExecStatus) is { } error)
        {
            events.Record(null, new AdminActionEvent(AdminStep.NotStarted, action.Id, Error: error));
            throw new SpawnException($"admin action {action.Id}: {error}");
        }

        events.Record(null, new AdminActionEvent(AdminStep.Spawned, action.Id, Pid: launched.Pid));
        return launched.Pid;
    }

    public List<int> RunningPids() => CgroupFs.ReadPidsRecursive(layout.AdminActions);

    /// <summary>SIGKILLs every running admin action (<see cref="GroupKiller"/>); returns how many there were.</summary>
    public int KillAll(string by)
    {
        var count = RunningPids().Count;
        GroupKiller.Kill(layout, layout.AdminActions, null);
        events.Record(null, new AdminActionEvent(AdminStep.KillAll, null, by, Count: count));
        return count;
    }
}
