using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using ProcessMaster.Core.Faults;

namespace ProcessMaster.Daemon.Http;

/// <summary>
/// The HTTP/1.1 server of the console and the metrics listener, on a socket the daemon opened (so a
/// re-exec can hand it on). One request per connection; the TLS handshake, the head and the body are read
/// under one deadline and within size limits, a whole response is written under another, and who is
/// served is <see cref="ConnectionSlots"/>' choice (a connection that has not sent its request gives way
/// to a newer one; streams have slots of their own): no client can hold the daemon or keep others out.
/// It exists instead of Kestrel because ASP.NET linked into the daemon cost it 3 MB of memory even with
/// the console off, and 3–4 MB more with it on (docs/benchmarks.md).
/// </summary>
internal sealed class HttpServer : IAsyncDisposable
{
    public const int MaxHeadBytes = 8 * 1024;
    private static readonly TimeSpan RequestDeadline = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ResponseDeadline = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan LingerTime = TimeSpan.FromSeconds(2);
    private const int MaxDrainedBytes = 64 * 1024;

    private readonly Socket _listener;
    private readonly TlsIdentity? _tls;
    private readonly long _maxBodyBytes;
    private readonly Func<HttpExchange, Task> _handle;
    private readonly Action<string> _report;
    private readonly ConnectionSlots _slots;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _accepting;
    private readonly string _what;

    /// <param name="what">What a connection is, in reports ("a console request").</param>
    public HttpServer(Socket listener, TlsIdentity? tls, ConnectionSlots slots, long maxBodyBytes, string what, Func<HttpExchange, Task> handle, Action<string> report)
    {
        _listener = listener;
        _tls = tls;
        _maxBodyBytes = maxBodyBytes;
        _what = what;
        _handle = handle;
        _report = report;
        _slots = slots;
        _accepting = Task.Run(AcceptAsync);
    }

    /// <summary>The listening socket's descriptor (handed to the next image on a re-exec).</summary>
    public int ListenerFd => (int)_listener.Handle;

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue; // a connection reset before it was accepted
            }

            if (_slots.Admit(SourceOf(client)) is not { } slot)
            {
                client.Dispose(); // every slot serves a request: this one is shed, not queued
                continue;
            }

            Background.Forget(_what, () => ServeAsync(client, slot), _report);
        }
    }

    private static IPAddress SourceOf(Socket client)
    {
        try
        {
            var source = (client.RemoteEndPoint as IPEndPoint)?.Address ?? IPAddress.None;
            return source.IsIPv4MappedToIPv6 ? source.MapToIPv4() : source;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return IPAddress.None; // gone already: it is served (and found gone) like any other
        }
    }

    private async Task ServeAsync(Socket client, ConnectionSlots.Slot slot)
    {
        try
        {
            // Until the request is read, a newer connection may take this one's place.
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token, slot.Evicted);
            deadline.CancelAfter(RequestDeadline);
            await using var network = new NetworkStream(client, ownsSocket: true);
            Stream stream = network;
            var source = SourceOf(client);

            if (_tls is not null)
            {
                var tls = new SslStream(network, leaveInnerStreamOpen: false, (_, certificate, _, _) => _tls.Accepts(certificate));
                stream = tls;
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificate = _tls.Certificate,
                    ClientCertificateRequired = _tls.ClientAuthority is not null,
                }, deadline.Token);
            }

            await using (stream)
            {
                if (await ReadRequestAsync(stream, client, deadline.Token) is not { } request)
                {
                    return; // refused with a status, or the peer went
                }

                // From here the deadline bounds a whole response; a stream lifts it. The peer closing ends either.
                slot.RequestRead();
                deadline.CancelAfter(ResponseDeadline);
                using var gone = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
                var exchange = new HttpExchange(request, stream, source, _tls is not null, gone.Token, becomeStream: () =>
                {
                    if (!slot.TryStream())
                    {
                        return false;
                    }

                    deadline.CancelAfter(Timeout.InfiniteTimeSpan);
                    return true;
                });
                var watching = DrainAsync(stream, gone);
                try
                {
                    await _handle(exchange);
                }
                finally
                {
                    await gone.CancelAsync();
                    await watching;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
        {
            // The peer went away, was too slow or failed TLS: nothing to answer.
        }
        finally
        {
            slot.Dispose();
        }
    }

    /// <summary>The head and body, or null after answering a request this server does not take.</summary>
    private async Task<HttpRequest?> ReadRequestAsync(Stream stream, Socket client, CancellationToken cancellation)
    {
        if (await HttpRequest.ReadHeadAsync(stream, MaxHeadBytes, cancellation) is not { } head)
        {
            await RefuseAsync(stream, client, 400, "bad request", cancellation);
            return null;
        }

        var (request, bodyStart) = head;

        var length = request.ContentLength();
        if (length is null)
        {
            await RefuseAsync(stream, client, 400, "bad request: only a Content-Length body is accepted", cancellation);
            return null;
        }

        if (length > _maxBodyBytes)
        {
            await RefuseAsync(stream, client, 413, $"the body is over {_maxBodyBytes} bytes", cancellation);
            return null;
        }

        var body = new byte[length.Value];
        var have = Math.Min(bodyStart.Count, body.Length);
        bodyStart.AsSpan(0, have).CopyTo(body);
        await stream.ReadExactlyAsync(body.AsMemory(have), cancellation);
        return request with { Body = body };
    }

    /// <summary>
    /// Answers with a status and lingers: what the peer still sends (the rest of an overlong head, a body
    /// refused unread) is read and dropped for a moment, since closing on unread data resets the connection
    /// and the peer could lose the answer. Our side is shut first, so a peer that reads sees the end at once.
    /// </summary>
    private static async Task RefuseAsync(Stream stream, Socket client, int status, string text, CancellationToken cancellation)
    {
        var refusal = new HttpExchange(new HttpRequest("GET", "/", "", []), stream, IPAddress.None, isHttps: false, cancellation, becomeStream: null);
        await refusal.RespondTextAsync(status, text);
        client.Shutdown(SocketShutdown.Send);
        using var linger = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        linger.CancelAfter(LingerTime);
        await DrainAsync(stream, linger);
    }

    /// <summary>
    /// Reads and drops what the peer sends until it closes, up to a bound, then cancels <paramref name="until"/>:
    /// while a response is written this is how a browser leaving an event stream is noticed.
    /// </summary>
    private static async Task DrainAsync(Stream stream, CancellationTokenSource until)
    {
        var buffer = new byte[256];
        var dropped = 0;
        try
        {
            while (dropped < MaxDrainedBytes && await stream.ReadAsync(buffer, until.Token) is var read and > 0)
            {
                dropped += read;
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // Closed, reset, or the exchange is over.
        }

        await until.CancelAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Dispose();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
        }

        _tls?.Dispose();
    }
}
