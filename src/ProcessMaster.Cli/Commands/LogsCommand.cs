using System.CommandLine;
using System.Text.Json;
using ProcessMaster.Protocol;

namespace ProcessMaster.Cli.Commands;

internal static class LogsCommand
{
    public static Command Create()
    {
        var name = new Argument<string?>("NAME") { Description = "The service", Arity = ArgumentArity.ZeroOrOne };
        var count = new Option<int>("-n", "--lines") { Description = "Lines to show from the end of each file", DefaultValueFactory = _ => 50, HelpName = "N" };
        var follow = new Option<string?>("--follow", "-f")
        {
            Description = "Follow the logs as they are written (all services, or NAME's); with FILENAME, only files of that name (e.g. stdout.log)",
            Arity = ArgumentArity.ZeroOrOne,
            HelpName = "FILENAME",
        };
        var retry = Following.RetryOption();
        var command = new Command("logs", "Show the last lines of a service's logs (stdout, stderr, stop_command logs, hints), or follow logs with -f")
        {
            name, count, follow, retry,
        };
        command.SetAction((result, cancellation) =>
        {
            var following = result.GetResult(follow) is not null;
            if (!following && result.GetValue(name) is null)
            {
                Console.Error.WriteLine("pmctl: logs needs a service name, or use `pmctl logs -f [FILENAME]` to follow every service's logs");
                return Task.FromResult(ExitCodes.Usage);
            }

            return DaemonConnection.RunAsync(result, client => following
                ? FollowAsync(client, DaemonConnection.ResolveSocket(result), result.GetValue(retry), result.GetValue(name), result.GetValue(follow), result.GetValue(count), cancellation)
                : TailAsync(client, result.GetValue(name)!, result.GetValue(count), cancellation), cancellation);
        });
        return command;
    }

    private static async Task<int> TailAsync(RpcClient client, string name, int count, CancellationToken cancellation)
    {
        var logs = await client.CallAsync(Methods.Logs, new LogsParams(name, count), cancellation);
        if (logs.Files.Count == 0)
        {
            Console.WriteLine($"{name}: no log files found");
            return ExitCodes.Success;
        }

        foreach (var file in logs.Files)
        {
            PrintTail(file);
        }

        return ExitCodes.Success;
    }

    private static Task<int> FollowAsync(RpcClient client, string socket, bool retry, string? name, string? filename, int count, CancellationToken cancellation)
    {
        var output = new Lock();
        var positions = new Dictionary<string, long>(StringComparer.Ordinal); // where each file was read up to
        // A line can be sent before the reply with the tail it follows: it is printed after that tail.
        List<LogLine>? early = [];
        return Following.RunAsync(client, socket, retry, (method, payload) =>
        {
            lock (output)
            {
                if (method == Methods.LogLineNotification.Name && payload.Deserialize(Methods.LogLineNotification.Params) is { } line)
                {
                    if (early is not null)
                    {
                        early.Add(line);
                        return;
                    }

                    Console.WriteLine($"{line.Path}: {line.Line}");
                    positions[line.Path] = line.Offset;
                }
                else if (method == Methods.LogRotatedNotification.Name && payload.Deserialize(Methods.LogRotatedNotification.Params) is { } rotated)
                {
                    Console.WriteLine($"==> {rotated.Path} was rotated; following the new file <==");
                    positions[rotated.Path] = 0;
                }
            }
        }, async (connection, resuming) =>
        {
            List<LogPosition>? resume;
            lock (output)
            {
                resume = resuming ? [.. positions.Select(p => new LogPosition(p.Key, p.Value))] : null;
            }

            var initial = await connection.CallAsync(Methods.LogsFollow, new LogsFollowParams(name, filename, resuming ? 0 : count, resume), cancellation);
            lock (output)
            {
                foreach (var file in initial.Files)
                {
                    positions.TryAdd(file.Path, file.Offset ?? 0);
                    if (!resuming)
                    {
                        PrintTail(file);
                    }
                }

                foreach (var line in early ?? [])
                {
                    Console.WriteLine($"{line.Path}: {line.Line}");
                    positions[line.Path] = line.Offset;
                }

                early = null;
            }
        }, cancellation);
    }

    private static void PrintTail(LogTail file)
    {
        Console.WriteLine($"==> {file.Path} <==");
        file.Lines.ForEach(Console.WriteLine);
        Console.WriteLine();
    }
}
