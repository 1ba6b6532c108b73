using System.CommandLine;
using System.CommandLine.Invocation;
using ProcessMaster.Protocol;

namespace ProcessMaster.Daemon;

/// <summary><c>processmaster [-c FILE] [--check-config] [--check-state FILE] [--version]</c>.</summary>
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
        var checkState = new Option<string?>("--check-state")
        {
            Description = "Dry run of a re-exec: exit 0 if this build can start on the config and resume from the saved supervision state FILE, else print why and exit 1",
            HelpName = "FILE",
        };
        var root = new RootCommand("processmaster: a cgroup v2 process supervisor (the daemon). Must run as root.")
        {
            config,
            check,
            checkState,
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
            return OneLineErrors(() => result.GetValue(checkState) is { } state
                ? Reexec.StateCheck.Run(path, state, Console.Out)
                : result.GetValue(check) ? ConfigCheck.Run(path, Console.Out) : DaemonHost.Run(path));
        });
        return root.Parse(args).Invoke();
    }

    /// <summary>Whatever escapes is said in one line and exit 1: an operator reads a reason, not a stack trace.</summary>
    private static int OneLineErrors(Func<int> run)
    {
        try
        {
            return run();
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"processmaster: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}");
            return 1;
        }
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
