using System.CommandLine;
using ProcessMaster.Protocol;

namespace ProcessMaster.Cli.Commands;

internal static class VersionCommands
{
    public static Command Version()
    {
        var command = new Command("version", "Show this pmctl's build (it must match the daemon's: see server-version)");
        command.SetAction(_ =>
        {
            Console.WriteLine(BuildIdentity.Current.Describe());
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command ServerVersion()
    {
        var command = new Command("server-version", "Show the running daemon's build");
        command.SetAction((result, cancellation) => DaemonConnection.RunAsync(result, async client =>
        {
            var version = await client.CallAsync(Methods.ServerVersion, new EmptyParams(), cancellation);
            Console.WriteLine(version.Description);
            return ExitCodes.Success;
        }, cancellation));
        return command;
    }
}
