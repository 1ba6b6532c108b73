using System.CommandLine;
using ProcessMaster.Protocol;

namespace ProcessMaster.Cli.Commands;

internal static class DefinitionCommands
{
    public static Command Update()
    {
        var command = new Command("update",
            "Reload every service definition and apply the difference: new services start, removed ones stop, changed ones restart");
        command.SetAction((result, cancellation) => DaemonConnection.RunAsync(result, async client =>
            Print(await client.CallAsync(Methods.Update, new EmptyParams(), cancellation)), cancellation));
        return command;
    }

    public static Command Enable() => Toggle(Methods.Enable, "enable", "Set global.enabled: true in the service's file (comments kept) and reload");

    public static Command Disable() => Toggle(Methods.Disable, "disable", "Set global.enabled: false in the service's file (comments kept), stop it and reload");

    private static Command Toggle(RpcMethod<NameParams, UpdateResult> method, string name, string description)
    {
        var target = new Argument<string>("NAME") { Description = "The service" };
        var command = new Command(name, description) { target };
        command.SetAction((result, cancellation) => DaemonConnection.RunAsync(result, async client =>
            Print(await client.CallAsync(method, new NameParams(result.GetValue(target)!), cancellation)), cancellation));
        return command;
    }

    private static int Print(UpdateResult result)
    {
        Console.WriteLine(result.Message);
        if (result.Added.Count > 0)
        {
            Console.WriteLine($"added: {string.Join(", ", result.Added)}");
        }

        if (result.Removed.Count > 0)
        {
            Console.WriteLine($"removed: {string.Join(", ", result.Removed)}");
        }

        if (result.Restarted.Count > 0)
        {
            Console.WriteLine($"restarted: {string.Join(", ", result.Restarted)}");
        }

        if (result.Stopped.Count > 0)
        {
            Console.WriteLine($"stopped: {string.Join(", ", result.Stopped)}");
        }

        foreach (var error in result.Errors)
        {
            Console.Error.WriteLine($"error: {error}");
        }

        foreach (var warning in result.Warnings)
        {
            Console.Error.WriteLine($"warning: {warning}");
        }

        return result.Errors.Count == 0 ? ExitCodes.Success : ExitCodes.Failed;
    }
}
