using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ProcessMaster.Protocol;

namespace ProcessMaster.Cli.Commands;

internal static class EventsCommand
{
    public static Command Create()
    {
        var name = new Argument<string?>("NAME") { Description = "Only this service's events", Arity = ArgumentArity.ZeroOrOne };
        var count = new Option<int>("-n", "--lines") { Description = "How many recent events", DefaultValueFactory = _ => 200, HelpName = "N" };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new events until Ctrl-C" };
        var format = FormatOption.Create();
        FormatOption.Restrict(format);
        var command = new Command("events", "Show the event history: state changes, decisions, operator actions") { name, count, follow, format };
        command.SetAction((result, cancellation) => DaemonConnection.RunAsync(result, async client =>
        {
            var json = result.GetValue(format) == "json";
            var parameters = new EventsParams(result.GetValue(name), result.GetValue(count));
            if (!result.GetValue(follow))
            {
                var events = await client.CallAsync(Methods.Events, parameters, cancellation);
                if (json)
                {
                    Console.WriteLine(Json.Write(events, c => c.EventsResult));
                }
                else
                {
                    events.Events.ForEach(e => Console.WriteLine(Format(e)));
                }

                return ExitCodes.Success;
            }

            client.Notified = (method, payload) =>
            {
                if (method == Methods.EventNotification.Name && payload.Deserialize(Methods.EventNotification.Params) is { } e)
                {
                    Console.WriteLine(json ? JsonSerializer.Serialize(e, ProtocolJsonContext.Default.EventRecord) : Format(e));
                }
            };
            var history = await client.CallAsync(Methods.EventsFollow, new EventsFollowParams(parameters.Name, parameters.N), cancellation);
            history.Events.ForEach(e => Console.WriteLine(json ? JsonSerializer.Serialize(e, ProtocolJsonContext.Default.EventRecord) : Format(e)));
            await client.Closed.WaitAsync(cancellation);
            return ExitCodes.Success;
        }, cancellation));
        return command;
    }

    public static string Format(EventRecord e) =>
        $"{e.Ts.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture)} [{e.Component}] {(e.App is null ? "" : $"app={e.App} ")}{e.Message}";
}
