using System.CommandLine;
using ProcessMaster.Protocol;

namespace ProcessMaster.Cli.Commands;

internal static class AdminCommands
{
    public static Command List()
    {
        var command = new Command("admin-list", "List the admin actions configured in the master config");
        command.SetAction((result, cancellation) => DaemonConnection.RunAsync(result, async client =>
        {
            var list = await client.CallAsync(Methods.AdminList, new EmptyParams(), cancellation);
            if (list.Actions.Count == 0)
            {
                Console.WriteLine("(no admin actions configured)");
            }

            list.Actions.ForEach(a => Console.WriteLine($"{a.Label} ({a.Id})"));
            return ExitCodes.Success;
        }, cancellation));
        return command;
    }

    public static Command Ps()
    {
        var command = new Command("admin-ps", "List the pids of running admin actions");
        command.SetAction((result, cancellation) => DaemonConnection.RunAsync(result, async client =>
        {
            var ps = await client.CallAsync(Methods.AdminPs, new EmptyParams(), cancellation);
            Console.WriteLine(ps.Pids.Count == 0 ? "(none)" : string.Join("\n", ps.Pids));
            return ExitCodes.Success;
        }, cancellation));
        return command;
    }

    public static Command Run()
    {
        var id = new Argument<string>("ID") { Description = "The admin action" };
        var command = new Command("admin-run", "Run an admin action (fire-and-forget: returns its pid at once)") { id };
        command.SetAction((result, cancellation) => DaemonConnection.RunAsync(result, async client =>
        {
            var run = await client.CallAsync(Methods.AdminRun, new AdminRunParams(result.GetValue(id)!), cancellation);
            Console.WriteLine(run.Message);
            return ExitCodes.Success;
        }, cancellation));
        return command;
    }

    public static Command Kill()
    {
        var command = new Command("admin-kill", "Kill every running admin action (cgroup.kill)");
        command.SetAction((result, cancellation) => DaemonConnection.RunAsync(result, async client =>
        {
            var killed = await client.CallAsync(Methods.AdminKill, new EmptyParams(), cancellation);
            Console.WriteLine(killed.Message);
            return ExitCodes.Success;
        }, cancellation));
        return command;
    }
}
