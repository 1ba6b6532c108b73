using ProcessMaster.Core.AdminActions;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Events;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Logs;
using ProcessMaster.Core.Processes;
using ProcessMaster.Core.State;
using ProcessMaster.Core.Supervision;

namespace ProcessMaster.Daemon;

/// <summary>Everything the running daemon is made of, shared by the control API and the web console.</summary>
internal sealed class DaemonRuntime(
    MasterConfig master,
    ServiceManager services,
    DefinitionAdmission admission,
    EventLog events,
    InotifyWatcher logInotify,
    AdminActionRunner adminActions,
    IUserDatabase users,
    OperatorFlags flags,
    LogFileRegistry logFiles,
    Memory.MemoryTrimmer trimmer,
    SupervisionRecords records)
{
    public MasterConfig Master => master;

    public ServiceManager Services => services;

    public EventLog Events => events;

    /// <summary>inotify on the log loop, for log followers (apart from cgroup.events, which services cannot flood).</summary>
    public InotifyWatcher LogInotify => logInotify;

    public IUserDatabase Users => users;

    public AdminActionRunner AdminActions => adminActions;

    public OperatorFlags Flags => flags;

    /// <summary>The log files written now, with what each wrote and dropped.</summary>
    public LogFileRegistry LogFiles => logFiles;

    /// <summary>Which daemon this is since the host booted.</summary>
    public int Generation => records.Generation;

    /// <summary>Loads every definition again and applies the difference (update, enable, disable, SIGHUP).</summary>
    public async Task<ReloadOutcome> ReloadAsync()
    {
        var catalog = new ServiceCatalogLoader(master, users, readOnly: false).Load();
        var outcome = await services.ReloadAsync(catalog, admission);
        await flags.RetainAsync(services.Services.Keys);
        trimmer.ReleaseLoadMemory(); // parsing every file again leaves what boot left
        return outcome;
    }
}
