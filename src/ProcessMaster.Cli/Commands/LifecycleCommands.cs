using System.CommandLine;
using ProcessMaster.Protocol;

namespace ProcessMaster.Cli.Commands;

internal static class LifecycleCommands
{
    public static Command Start() => Create(Methods.Start, "start",
        "Start a service (or all enabled services); for a cron job, run it once now. Returns once it runs.", withForce: true);

    public static Command Stop() => Create(Methods.Stop, "stop",
        "Stop a service (or all). Returns once none of its processes is left; it stays stopped, across daemon restarts too, until started.", withForce: false);

    public static Command Restart() => Create(Methods.Restart, "restart",
        "Stop, then start a service (or all enabled services). Returns once it runs again.", withForce: true);

    private static Command Create(RpcMethod<TargetParams, OperationResult> method, string name, string description, bool withForce)
    {
        var target = new Argument<string>("NAME") { Description = "A service, or 'all'" };
        var force = new Option<bool>("--force") { Description = "Run even if the service is disabled (its file is not changed)" };
        var command = new Command(name, description) { target };
        if (withForce)
        {
            command.Options.Add(force);
        }

        command.SetAction((result, cancellation) => DaemonConnection.RunAsync(result, async client =>
        {
            var outcome = await client.CallAsync(method, new TargetParams(result.GetValue(target)!, withForce && result.GetValue(force)), cancellation);
            foreach (var item in outcome.Results)
            {
                (item.Ok ? Console.Out : Console.Error).WriteLine($"{item.Name}: {item.Message}");
            }

            if (outcome.Results.Count == 0)
            {
                Console.WriteLine("(no services)");
            }

            return outcome.Ok ? ExitCodes.Success : ExitCodes.Failed;
        }, cancellation));
        return command;
    }
}
