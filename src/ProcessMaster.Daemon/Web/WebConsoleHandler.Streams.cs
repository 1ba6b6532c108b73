using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using ProcessMaster.Core.Logs;
using ProcessMaster.Daemon.Control;
using ProcessMaster.Protocol;

namespace ProcessMaster.Daemon.Web;

/// <summary>
/// The console's live updates, as Server-Sent Events: service status (pushed on every change, and every
/// two seconds while a page is open, for the CPU and memory charts), events, and log lines as they are
/// written.
/// </summary>
internal sealed partial class WebConsoleHandler
{
    private static readonly TimeSpan MetricsInterval = TimeSpan.FromSeconds(2);

    private async Task StatusStreamAsync(HttpContext context)
    {
        var cancellation = context.RequestAborted;
        StartStream(context.Response);
        var wake = Channel.CreateBounded<byte>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        var events = Channel.CreateBounded<EventRecord>(new BoundedChannelOptions(1000) { FullMode = BoundedChannelFullMode.DropOldest });
        void OnChange() => wake.Writer.TryWrite(0);
        runtime.Services.Changed += OnChange;
        using var follow = runtime.Events.Follow(e => events.Writer.TryWrite(new EventRecord(e.Time, e.App, e.Component, e.Message)));
        using var timer = time.CreateTimer(_ => OnChange(), null, MetricsInterval, MetricsInterval);
        try
        {
            await SendStatusAsync(context.Response, cancellation);
            while (!cancellation.IsCancellationRequested)
            {
                var changed = wake.Reader.WaitToReadAsync(cancellation).AsTask();
                var happened = events.Reader.WaitToReadAsync(cancellation).AsTask();
                await Task.WhenAny(changed, happened);
                while (events.Reader.TryRead(out var entry))
                {
                    await SendEventAsync(context.Response, "event", JsonSerializer.Serialize(entry, ProtocolJsonContext.Default.EventRecord), cancellation);
                }

                if (wake.Reader.TryRead(out _))
                {
                    await SendStatusAsync(context.Response, cancellation);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The page went away.
        }
        finally
        {
            runtime.Services.Changed -= OnChange;
        }
    }

    private Task SendStatusAsync(HttpResponse response, CancellationToken cancellation) =>
        SendEventAsync(response, "status", JsonSerializer.Serialize(api.Status(null), ProtocolJsonContext.Default.StatusResult), cancellation);

    private async Task LogStreamAsync(HttpContext context)
    {
        var cancellation = context.RequestAborted;
        var name = context.Request.Query["name"].ToString();
        var lines = int.TryParse(context.Request.Query["n"], out var n) ? Math.Clamp(n, 0, 10_000) : 200;
        if (!runtime.Services.Services.TryGetValue(name, out var service))
        {
            await TextAsync(context.Response, StatusCodes.Status404NotFound, $"unknown service: {name}");
            return;
        }

        StartStream(context.Response);
        var queue = Channel.CreateBounded<(string Kind, string Json)>(new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest });
        var followers = new List<LogFollower>();
        try
        {
            var (files, owners) = api.LogFilesOf(service);
            foreach (var file in files)
            {
                var tail = ControlApi.Tail(file, lines, owners, ControlApi.MaxTailBytes / files.Count);
                await SendEventAsync(context.Response, "tail", JsonSerializer.Serialize(tail, ProtocolJsonContext.Default.LogTail), cancellation);
                if (api.Follow(file, owners,
                        line => queue.Writer.TryWrite(("line", JsonSerializer.Serialize(new LogLine(file, line), ProtocolJsonContext.Default.LogLine))),
                        () => queue.Writer.TryWrite(("rotated", JsonSerializer.Serialize(new LogRotated(file), ProtocolJsonContext.Default.LogRotated))))
                    is { } follower)
                {
                    followers.Add(follower);
                }
            }

            await foreach (var (kind, json) in queue.Reader.ReadAllAsync(cancellation))
            {
                await SendEventAsync(context.Response, kind, json, cancellation);
            }
        }
        catch (OperationCanceledException)
        {
            // The viewer was closed.
        }
        finally
        {
            followers.ForEach(f => f.Dispose());
        }
    }

    private static void StartStream(HttpResponse response)
    {
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
    }
}
