using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Processes;
using ProcessMaster.Core.State;

namespace ProcessMaster.Daemon.Reexec;

/// <summary>
/// <c>processmaster --check-state FILE -c CONFIG</c>: the dry run a re-exec asks of the new binary before the
/// old image gives way to it: can this build start on this config and resume from this saved state? Prints
/// the reason and exits 1 when not; changes nothing.
/// </summary>
internal static class StateCheck
{
    public static int Run(string configPath, string stateFile, TextWriter output)
    {
        try
        {
            var master = MasterConfigLoader.Load(configPath, SystemUserDatabase.Instance);
            if (new ServiceCatalogLoader(master, SystemUserDatabase.Instance, readOnly: true).Load().Fatal is { } fatal)
            {
                output.WriteLine(fatal);
                return 1;
            }
        }
        catch (ConfigException e)
        {
            output.WriteLine($"{configPath}: {e.Errors.Count} problem(s) in the master config, first: {e.Errors[0]}");
            return 1;
        }

        if (SupervisionRecords.Validate(stateFile) is { } problem)
        {
            output.WriteLine(problem);
            return 1;
        }

        output.WriteLine($"{stateFile}: ok");
        return 0;
    }
}
