using System.CommandLine;
using ProcessMaster.Protocol;

namespace ProcessMaster.Cli.Commands;

internal static class LifecycleCommands
{
    public static Command Start() => Create(Methods.Start, "start",
        "Start a service (or all enabled services), and first what it depends on; for a cron job, run it once now. Returns once it runs.", withForce: true,
        "Start only this service, now, whatever its dependencies");

    public static Command Stop() => Create(Methods.Stop, "stop",
        "Stop a service (or all), and first what depends on it. Returns once none of its processes is left; it stays stopped, across daemon restarts too, until started.", withForce: false,
        "Stop only this service; what depends on it keeps running");

    public static Command Restart() => Create(Methods.Restart, "restart",
        "Stop, then start a service (or all enabled services). Returns once it runs again.", withForce: true,
        "Start it again now, whatever its dependencies");

    /// <summary><c>pmctl signal SIGNAL NAME... [--main]</c>.</summary>
    public static Command Signal()
    {
        var signal = new Argument<string>("SIGNAL") { Description = "A signal name (HUP, SIGUSR1) or number" };
        var names = new Argument<string[]>("NAME") { Description = "Services, or 'all' (every service with processes now)", Arity = ArgumentArity.OneOrMore };
        var main = new Option<bool>("--main") { Description = "Only the main process, not every process of the service's cgroup" };
        var command = new Command("signal", "Send a signal to a running service's processes (reopen logs, reload, dump state). Refused for a service that runs nothing.")
        {
            signal, names, main,
        };
        command.SetAction((result, cancellation) => DaemonConnection.RunAsync(result, async client =>
            Report(await client.CallAsync(Methods.Signal, new SignalParams([.. result.GetValue(names)!], result.GetValue(signal)!, result.GetValue(main)), cancellation)),
            cancellation));
        return command;
    }

    private static Command Create(RpcMethod<TargetParams, OperationResult> method, string name, string description, bool withForce, string noDepsDescription)
    {
        var target = new Argument<string>("NAME") { Description = "A service, or 'all'" };
        var force = new Option<bool>("--force") { Description = "Run even if the service is disabled (its file is not changed)" };
        var noDeps = new Option<bool>("--no-deps") { Description = noDepsDescription };
        var command = new Command(name, description) { target, noDeps };
        if (withForce)
        {
            command.Options.Add(force);
        }

        command.SetAction((result, cancellation) => DaemonConnection.RunAsync(result, async client =>
            Report(await client.CallAsync(method, new TargetParams(result.GetValue(target)!, withForce && result.GetValue(force), result.GetValue(noDeps)), cancellation)),
            cancellation));
        return command;
    }

    /// <summary>One line per service, failures on stderr; exit 1 when any failed.</summary>
    private static int Report(OperationResult outcome)
    {
        foreach (var item in outcome.Results)
        {
            (item.Ok ? Console.Out : Console.Error).WriteLine($"{item.Name}: {item.Message}");
        }

        if (outcome.Results.Count == 0)
        {
            Console.WriteLine("(no services)");
        }

        return outcome.Ok ? ExitCodes.Success : ExitCodes.Failed;
    }
}
