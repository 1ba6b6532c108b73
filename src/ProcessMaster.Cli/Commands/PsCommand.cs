using System.CommandLine;
using ProcessMaster.Cli.Rendering;
using ProcessMaster.Protocol;

namespace ProcessMaster.Cli.Commands;

internal static class PsCommand
{
    public static Command Create()
    {
        var name = new Argument<string?>("NAME") { Description = "One service (default: all)", Arity = ArgumentArity.ZeroOrOne };
        var format = FormatOption.Create();
        FormatOption.Restrict(format);
        var command = new Command("ps", "Show each service's processes as a tree from its cgroup: pid, user, CPU, RSS, uptime, command line") { name, format };
        command.SetAction((result, cancellation) => DaemonConnection.RunAsync(result, async client =>
        {
            var processes = await client.CallAsync(Methods.Processes, new OptionalNameParams(result.GetValue(name)), cancellation);
            Console.Write(result.GetValue(format) == "json"
                ? Json.Write(processes, c => c.ProcessesResult) + "\n"
                : ProcessTree.Render(processes, DateTimeOffset.Now));
            return ExitCodes.Success;
        }, cancellation));
        return command;
    }
}
