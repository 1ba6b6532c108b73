using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Processes;
using ProcessMaster.Core.State;
using ProcessMaster.Core.Supervision;

namespace ProcessMaster.Daemon;

/// <summary>Loads every definition again and applies the difference (update, enable, disable, SIGHUP).</summary>
internal sealed class DefinitionReloader(
    MasterConfig master,
    IUserDatabase users,
    ServiceManager services,
    DefinitionAdmission admission,
    OperatorFlags flags,
    Memory.MemoryTrimmer trimmer)
{
    public async Task<ReloadOutcome> ReloadAsync()
    {
        var catalog = new ServiceCatalogLoader(master, users, readOnly: false).Load();
        var outcome = await services.ReloadAsync(catalog, admission);
        await flags.RetainAsync(services.Services.Keys);
        trimmer.ReleaseLoadMemory(); // parsing every file again leaves what boot left
        return outcome;
    }
}
