using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Processes;
using ProcessMaster.Daemon.Web;

namespace ProcessMaster.Daemon;

/// <summary>
/// <c>processmaster --check-config</c>: loads the master config and every service definition the way the
/// daemon would, but read-only (no cgroups, socket, provisioning or generated files), and prints every problem.
/// </summary>
internal static class ConfigCheck
{
    public static int Run(string path, TextWriter output)
    {
        MasterConfig master;
        try
        {
            master = MasterConfigLoader.Load(path, SystemUserDatabase.Instance);
        }
        catch (ConfigException e)
        {
            foreach (var error in e.Errors)
            {
                output.WriteLine(error);
            }

            output.WriteLine($"{path}: {Plural(e.Errors.Count, "problem")} in the master config");
            return 1;
        }

        var catalog = new ServiceCatalogLoader(master, SystemUserDatabase.Instance, readOnly: true).Load();
        if (catalog.Fatal is { } fatal)
        {
            output.WriteLine(fatal);
            return 1;
        }

        foreach (var problem in catalog.Problems)
        {
            output.WriteLine(problem);
        }

        foreach (var warning in catalog.Warnings)
        {
            output.WriteLine($"warning: {warning}");
        }

        if (WebConsolePolicy.RefusalReason(master.WebConsole) is { } refusal)
        {
            output.WriteLine($"warning: {master.SourceFile}: web_console: the console will not start: {refusal}");
        }

        var services = catalog.Services.Count(s => !s.IsCron);
        var jobs = catalog.Services.Length - services;
        output.WriteLine(catalog.Problems.IsEmpty
            ? $"{path}: ok ({Plural(services, "service")}, {Plural(jobs, "cron job")})"
            : $"{path}: {Plural(catalog.Problems.Length, "problem")}; {Plural(catalog.Services.Length, "definition")} would load");
        return catalog.Problems.IsEmpty ? 0 : 1;
    }

    private static string Plural(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";
}
