using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using ProcessMaster.IntegrationTests.Support;
using static ProcessMaster.IntegrationTests.Support.WebConsoleSite;

namespace ProcessMaster.IntegrationTests;

/// <summary>
/// Anyone who can connect holds as many connections as it likes without sending a request, or, logged in,
/// as many event streams: root's requests and Prometheus' scrapes are still answered (issue 41, item 3).
/// </summary>
public class SlowClientTests
{
    private const int Attackers = 200;

    /// <summary>
    /// Keeps <see cref="Attackers"/> connections to <paramref name="port"/> open, each with half a request head
    /// and never more, opening a new one for each the server closes, until <paramref name="stop"/>; counts in
    /// <paramref name="opened"/> how many it opened.
    /// </summary>
    private static async Task SlowlorisAsync(int port, StrongBox<int> opened, CancellationToken stop)
    {
        var head = Encoding.ASCII.GetBytes("GET /processmaster/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
        var open = new List<Socket>();
        try
        {
            while (!stop.IsCancellationRequested)
            {
                foreach (var closed in open.Where(s => s.Poll(0, SelectMode.SelectRead) && s.Available == 0).ToList())
                {
                    closed.Dispose();
                    open.Remove(closed);
                }

                while (open.Count < Attackers)
                {
                    var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    await socket.ConnectAsync(IPAddress.Loopback, port, stop);
                    await socket.SendAsync(head, SocketFlags.None, stop);
                    open.Add(socket);
                    Interlocked.Increment(ref opened.Value);
                }

                await Task.Delay(5, stop);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            open.ForEach(s => s.Dispose());
        }
    }

    [SystemFact]
    public async Task HundredsOfConnectionsThatNeverSendARequest_KeepNeitherRootsRequestsNorScrapesOut()
    {
        var metricsPort = FreePort.Next();
        var (daemon, url) = await StartAsync($"metrics:\n  enabled: true\n  port: {metricsPort}\n");
        await using var _ = daemon;
        var consolePort = new Uri(url).Port;
        using var stop = new CancellationTokenSource();
        StrongBox<int>[] opened = [new(), new()];
        var attacks = new[] { SlowlorisAsync(consolePort, opened[0], stop.Token), SlowlorisAsync(metricsPort, opened[1], stop.Token) };
        try
        {
            // The attack is in place: more connections than the servers have slots, and each one closed is opened again.
            await Eventually.TrueAsync(() => opened.All(n => Volatile.Read(ref n.Value) > 2 * Attackers) || attacks.Any(a => a.IsCompleted),
                TimeSpan.FromSeconds(60), "the attackers' connections");
            Assert.All(attacks, a => Assert.False(a.IsCompleted, $"an attacker ended: {a.Exception}"));

            using var client = Client();
            using var scraper = new HttpClient();
            var pages = 0;
            var scrapes = 0;
            for (var i = 0; i < 10; i++)
            {
                pages += (await client.GetAsync(url)).StatusCode == HttpStatusCode.OK ? 1 : 0;
                scrapes += (await scraper.GetAsync($"http://127.0.0.1:{metricsPort}/metrics")).StatusCode == HttpStatusCode.OK ? 1 : 0;
            }

            Assert.Equal((10, 10), (pages, scrapes));
        }
        finally
        {
            await stop.CancelAsync();
        }

        await Task.WhenAll(attacks);
    }

    [SystemFact]
    public async Task SixtyFourLoggedInEventStreams_TakeNoRequestsSlot_AndThoseBeyondTheirOwnLimitAreRefused()
    {
        var (daemon, url) = await StartAsync();
        await using var _ = daemon;
        using var client = Client();
        var streams = new List<HttpResponseMessage>();
        try
        {
            for (var i = 0; i < 64; i++)
            {
                streams.Add(await client.GetAsync(url + "stream", HttpCompletionOption.ResponseHeadersRead));
            }

            var statuses = streams.Select(s => (int)s.StatusCode).ToList();
            Assert.Equal(32, statuses.Count(s => s == 200));
            Assert.Equal(32, statuses.Count(s => s == 503));
            Assert.Equal("10", streams.First(s => s.StatusCode == HttpStatusCode.ServiceUnavailable).Headers.RetryAfter!.ToString());

            var token = await CsrfTokenAsync(client, url);
            client.DefaultRequestHeaders.Add("X-CSRF-Token", token);
            for (var i = 0; i < 10; i++)
            {
                var reply = await client.PostAsync(url + "rpc", Rpc("status"));
                Assert.Equal(HttpStatusCode.OK, reply.StatusCode);
                Assert.Contains("\"name\":\"web\"", await reply.Content.ReadAsStringAsync());
            }

            // A page closed frees its stream for the next one.
            streams.First(s => s.StatusCode == HttpStatusCode.OK).Dispose();
            await Eventually.ValueAsync(async () =>
            {
                var next = await client.GetAsync(url + "stream", HttpCompletionOption.ResponseHeadersRead);
                streams.Add(next);
                return next.StatusCode;
            }, s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(20), "a stream once another closed");
        }
        finally
        {
            streams.ForEach(s => s.Dispose());
        }
    }

}
