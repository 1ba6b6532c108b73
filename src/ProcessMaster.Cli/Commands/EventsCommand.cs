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
        var retry = Following.RetryOption();
        var format = FormatOption.Create();
        FormatOption.Restrict(format);
        var command = new Command("events", "Show the event history: state changes, decisions, operator actions") { name, count, follow, retry, format };
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

            var output = new Lock();
            var last = DateTimeOffset.UtcNow; // the last event shown, to resume after a re-exec
            void Show(EventRecord e)
            {
                lock (output)
                {
                    Console.WriteLine(json ? JsonSerializer.Serialize(e, ProtocolJsonContext.Default.EventRecord) : Format(e));
                    last = e.Ts > last ? e.Ts : last;
                }
            }

            return await Following.RunAsync(client, DaemonConnection.ResolveSocket(result), result.GetValue(retry), (method, payload) =>
            {
                if (method == Methods.EventNotification.Name && payload.Deserialize(Methods.EventNotification.Params) is { } e)
                {
                    Show(e);
                }
            }, async (connection, resuming) =>
            {
                DateTimeOffset after;
                lock (output)
                {
                    after = last;
                }

                var history = await connection.CallAsync(Methods.EventsFollow,
                    new EventsFollowParams(parameters.Name, resuming ? 0 : parameters.N, resuming ? after : null), cancellation);
                history.Events.ForEach(Show);
            }, cancellation);
        }, cancellation));
        return command;
    }

    public static string Format(EventRecord e) =>
        $"{e.Ts.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture)} [{e.Component}] {(e.App is null ? "" : $"app={e.App} ")}{e.Message}";
}
