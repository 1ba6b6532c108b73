using System.CommandLine;
using System.CommandLine.Invocation;
using ProcessMaster.Protocol;

namespace ProcessMaster.Daemon;

/// <summary><c>processmaster [-c FILE] [--check-config] [--version]</c>.</summary>
internal static class DaemonCommandLine
{
    public static int Run(string[] args)
    {
        var config = new Option<string>("--config", "-c")
        {
            Description = "Master config file",
            DefaultValueFactory = _ => "config.yaml",
            HelpName = "FILE",
        };
        var check = new Option<bool>("--check-config")
        {
            Description = "Validate the master config and every service definition, print every problem, and exit 0 (clean) or 1; changes nothing",
        };
        var root = new RootCommand("processmaster: a cgroup v2 process supervisor (the daemon). Must run as root.")
        {
            config,
            check,
        };
        foreach (var option in root.Options)
        {
            if (option is VersionOption version)
            {
                version.Action = new PrintVersion();
            }
        }

        root.SetAction(result =>
        {
            var path = result.GetValue(config)!;
            return result.GetValue(check) ? ConfigCheck.Run(path, Console.Out) : DaemonHost.Run(path);
        });
        return root.Parse(args).Invoke();
    }

    private sealed class PrintVersion : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            Console.WriteLine(BuildIdentity.Current.Describe());
            return 0;
        }
    }
}
