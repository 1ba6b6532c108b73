using System.Text.Json;
using ProcessMaster.Daemon.Control;
using ProcessMaster.Daemon.Http;
using ProcessMaster.Protocol;

namespace ProcessMaster.Daemon.Web;

/// <summary>
/// The console's live updates: Server-Sent Events as one more transport of the control protocol. A
/// stream is an <see cref="RpcSession"/> whose lines are SSE <c>data:</c> fields: the page's follow
/// requests go through the dispatcher like a socket client's, their replies and then their
/// notifications come back as the same JSON-RPC messages, under the same limits and slow-client rule.
/// </summary>
internal sealed partial class WebConsoleHandler
{
    /// <summary>How often the status comes besides changes, for the CPU and memory charts.</summary>
    private const int StatusIntervalMs = 2000;

    private static readonly byte[] DataField = "data: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();

    /// <summary><c>/stream</c>: the status (on every change and every two seconds) and new events.</summary>
    private Task StatusStreamAsync(HttpExchange exchange, string peer) => StreamAsync(exchange, peer,
    [
        JsonRpc.Request(Methods.StatusFollow.Name, 1, new StatusFollowParams(StatusIntervalMs), Methods.StatusFollow.Params),
        JsonRpc.Request(Methods.EventsFollow.Name, 2, new EventsFollowParams(), Methods.EventsFollow.Params),
    ]);

    /// <summary><c>/logs?name=…&amp;n=…</c>: the last lines of a service's files, then new lines as they are written.</summary>
    private Task LogStreamAsync(HttpExchange exchange, string peer)
    {
        var request = exchange.Request;
        var lines = int.TryParse(request.QueryValue("n"), out var n) ? n : new LogsFollowParams().N;
        return StreamAsync(exchange, peer,
            [JsonRpc.Request(Methods.LogsFollow.Name, 1, new LogsFollowParams(request.QueryValue("name") ?? "", N: lines), Methods.LogsFollow.Params)]);
    }

    /// <summary>One SSE event of one message: a single write, so a frame never goes out in pieces.</summary>
    private static byte[] Frame(byte[] line)
    {
        var message = line.AsSpan().TrimEnd((byte)'\n');
        var frame = new byte[DataField.Length + message.Length + EventEnd.Length];
        DataField.CopyTo(frame, 0);
        message.CopyTo(frame.AsSpan(DataField.Length));
        EventEnd.CopyTo(frame, DataField.Length + message.Length);
        return frame;
    }

    private static bool IsError(byte[] reply)
    {
        using var document = JsonDocument.Parse(reply);
        return document.RootElement.TryGetProperty("error", out _);
    }

    /// <summary>Sends each request's reply, then the notifications, until the page goes or the session is dropped.</summary>
    private async Task StreamAsync(HttpExchange exchange, string peer, byte[][] requests)
    {
        exchange.SetHeader("Cache-Control", "no-cache");
        exchange.SetHeader("X-Accel-Buffering", "no");
        if (!await exchange.StartStreamAsync("text/event-stream"))
        {
            return;
        }

        var aborted = exchange.Aborted;
        var writeLock = new SemaphoreSlim(1, 1);

        async ValueTask SendAsync(byte[] line)
        {
            await writeLock.WaitAsync(aborted);
            try
            {
                await exchange.WriteAsync(Frame(line));
            }
            finally
            {
                writeLock.Release();
            }
        }

        using var session = new RpcSession(SendAsync, requiresHello: false, peer: peer, actor: () => peer);
        try
        {
            var failed = false;
            foreach (var request in requests)
            {
                var reply = await dispatcher.HandleAsync(request, session);
                if (reply is not null)
                {
                    await SendAsync(reply);
                    failed |= IsError(reply);
                }
            }

            session.ResponseSent();
            if (failed)
            {
                return; // the reply says why; nothing will follow
            }

            using var linked = CancellationTokenSource.CreateLinkedTokenSource(aborted, session.Closed);
            await Task.Delay(Timeout.Infinite, linked.Token);
        }
        catch (OperationCanceledException)
        {
            // The page went away, or the session was dropped as too slow.
        }
    }
}
