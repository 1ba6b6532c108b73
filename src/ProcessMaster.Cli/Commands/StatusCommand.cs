using System.CommandLine;
using ProcessMaster.Cli.Rendering;
using ProcessMaster.Protocol;

namespace ProcessMaster.Cli.Commands;

internal static class StatusCommand
{
    public static Command Create()
    {
        var name = new Argument<string?>("NAME") { Description = "One service (default: all)", Arity = ArgumentArity.ZeroOrOne };
        var format = FormatOption.Create();
        FormatOption.Restrict(format);
        var command = new Command("status", "Show services: state, pids, uptime, restarts, CPU, memory, last exit or next run") { name, format };
        command.SetAction((result, cancellation) =>
            RunAsync(result, result.GetValue(name), result.GetValue(format) == "json", cancellation));
        return command;
    }

    public static Task<int> RunAsync(ParseResult result, string? name, bool json, CancellationToken cancellation) =>
        DaemonConnection.RunAsync(result, async client =>
        {
            var status = await client.CallAsync(Methods.Status, new OptionalNameParams(name), cancellation);
            Console.Write(json
                ? Json.Write(status, c => c.StatusResult) + "\n"
                : StatusTable.Render(status, DateTimeOffset.Now));
            return ExitCodes.Success;
        }, cancellation);
}
