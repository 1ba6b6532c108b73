using System.CommandLine;
using ProcessMaster.Core.Configuration.Values;
using ProcessMaster.Protocol;

namespace ProcessMaster.Cli.Commands;

/// <summary><c>pmctl flag NAME f1,f2 [-t 2h]</c> and <c>pmctl unflag NAME f1</c>: an operator's labels on a service.</summary>
internal static class FlagCommands
{
    public static Command Flag()
    {
        var (name, flags) = Arguments();
        var ttl = new Option<string?>("--ttl", "-t") { Description = "Remove the flags by themselves after this long (30m, 2h, 1d)", HelpName = "DURATION" };
        var command = new Command("flag", "Put labels on a service (e.g. maintenance), shown in status, the console and events; they change nothing about how it runs")
            { name, flags, ttl };
        ttl.Validators.Add(result =>
        {
            try
            {
                DurationText.Parse(result.GetValueOrDefault<string?>() ?? "1s");
            }
            catch (FormatException e)
            {
                result.AddError($"--ttl: {e.Message}");
            }
        });
        command.SetAction((result, cancellation) => DaemonConnection.RunAsync(result, async client =>
        {
            var seconds = result.GetValue(ttl) is { } text ? DurationText.Parse(text).TotalSeconds : (double?)null;
            return Print(await client.CallAsync(Methods.Flag, new FlagParams(result.GetValue(name)!, Split(result.GetValue(flags)!), seconds), cancellation));
        }, cancellation));
        return command;
    }

    public static Command Unflag()
    {
        var (name, flags) = Arguments();
        var command = new Command("unflag", "Take labels off a service") { name, flags };
        command.SetAction((result, cancellation) => DaemonConnection.RunAsync(result, async client =>
            Print(await client.CallAsync(Methods.Unflag, new FlagParams(result.GetValue(name)!, Split(result.GetValue(flags)!)), cancellation)), cancellation));
        return command;
    }

    private static (Argument<string> Name, Argument<string> Flags) Arguments() => (
        new Argument<string>("NAME") { Description = "The service" },
        new Argument<string>("FLAGS") { Description = "Comma-separated flags: 1 to 20 of A-Z a-z 0-9 _ - each" });

    private static List<string> Split(string flags) => [.. flags.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    private static int Print(FlagResult result)
    {
        Console.WriteLine(result.Message);
        Console.WriteLine(result.Flags.Count == 0 ? "flags: (none)" : $"flags: {Rendering.FlagText.Render(result.Flags, DateTimeOffset.Now)}");
        return ExitCodes.Success;
    }
}
