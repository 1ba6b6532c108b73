using System.CommandLine;
using System.CommandLine.Invocation;
using ProcessMaster.Cli.Commands;
using ProcessMaster.Protocol;

namespace ProcessMaster.Cli;

/// <summary>pmctl's commands; exit codes 0 (success), 1 (operation failed), 2 (usage).</summary>
internal static class PmctlCommandLine
{
    public static RootCommand Build()
    {
        var root = new RootCommand("pmctl: control the processmaster daemon over its unix socket (JSON-RPC). Without a command, shows status.")
        {
            DaemonConnection.SocketOption,
        };
        foreach (var command in new[]
                 {
                     StatusCommand.Create(), EventsCommand.Create(), LogsCommand.Create(),
                     LifecycleCommands.Start(), LifecycleCommands.Stop(), LifecycleCommands.Restart(), LifecycleCommands.Signal(),
                     DefinitionCommands.Enable(), DefinitionCommands.Disable(), DefinitionCommands.Update(),
                     VersionCommands.Version(), VersionCommands.ServerVersion(), PerfMetricsCommand.Create(), PsCommand.Create(), FlagCommands.Flag(), FlagCommands.Unflag(),
                     AdminCommands.List(), AdminCommands.Ps(), AdminCommands.Run(), AdminCommands.Kill(),
                     PasswordCommands.Create(), DaemonCommands.Reexec(),
                 })
        {
            root.Subcommands.Add(command);
        }

        foreach (var option in root.Options)
        {
            if (option is VersionOption version)
            {
                version.Action = new PrintVersion();
            }
            else if (option is System.CommandLine.Help.HelpOption { Action: System.CommandLine.Help.HelpAction help } helpOption)
            {
                helpOption.Action = new OptionalArgumentsHelp(help);
            }
        }

        root.SetAction((result, cancellation) => StatusCommand.RunAsync(result, null, json: false, cancellation));
        return root;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var result = Build().Parse(args);
        if (result.Errors.Count > 0)
        {
            foreach (var error in result.Errors)
            {
                Console.Error.WriteLine($"pmctl: {error.Message}");
            }

            Console.Error.WriteLine("Run 'pmctl --help' for usage.");
            return ExitCodes.Usage;
        }

        return await result.InvokeAsync();
    }

    /// <summary>
    /// The library's help, with the command list showing optional arguments as optional: it prints
    /// <c>status &lt;NAME&gt;</c> where <c>pmctl status</c> alone is fine. <c>[NAME]</c> keeps the width.
    /// </summary>
    private sealed class OptionalArgumentsHelp(System.CommandLine.Help.HelpAction inner) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => inner.ClearsParseErrors;

        public override int Invoke(ParseResult parseResult)
        {
            var configuration = parseResult.InvocationConfiguration;
            var output = configuration.Output;
            using var buffer = new StringWriter();
            configuration.Output = buffer;
            int code;
            try
            {
                code = inner.Invoke(parseResult);
            }
            finally
            {
                configuration.Output = output;
            }

            var text = buffer.ToString();
            foreach (var command in parseResult.CommandResult.Command.Subcommands)
            {
                foreach (var argument in command.Arguments.Where(a => a.Arity.MinimumNumberOfValues == 0))
                {
                    var label = $"<{argument.HelpName ?? argument.Name}>";
                    text = text.Replace($"\n  {command.Name} {label}", $"\n  {command.Name} [{label[1..^1]}]", StringComparison.Ordinal);
                }
            }

            output.Write(text);
            return code;
        }
    }

    private sealed class PrintVersion : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            Console.WriteLine(BuildIdentity.Current.Describe());
            return ExitCodes.Success;
        }
    }
}
