using System.Net;
using System.Text;

namespace ProcessMaster.Daemon.Http;

/// <summary>
/// One request and its response on a connection of <see cref="HttpServer"/>: the response is either whole
/// (with a Content-Length) or a stream that ends when the connection does (Server-Sent Events). Every
/// response closes the connection; nothing here keeps one alive between requests.
/// </summary>
/// <param name="becomeStream">
/// Asked when the response would become a stream: false when no stream may start now; true once the
/// connection is a stream, which has no deadline of its own.
/// </param>
internal sealed class HttpExchange(HttpRequest request, Stream stream, IPAddress source, bool isHttps, CancellationToken aborted, Func<bool>? becomeStream)
{
    private readonly List<KeyValuePair<string, string>> _headers = [];

    public HttpRequest Request => request;

    public IPAddress Source => source;

    public bool IsHttps => isHttps;

    /// <summary>Cancelled when the peer goes, the response takes too long (whole responses only) or the server stops.</summary>
    public CancellationToken Aborted => aborted;

    public bool Responded { get; private set; }

    /// <summary>Sets a response header, replacing an earlier value of the same name.</summary>
    public void SetHeader(string name, string value)
    {
        if (value.AsSpan().ContainsAny('\r', '\n'))
        {
            throw new ArgumentException($"header {name} holds a line break", nameof(value));
        }

        _headers.RemoveAll(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase));
        _headers.Add(new(name, value));
    }

    public Task RespondAsync(int status, string contentType, ReadOnlyMemory<byte> body)
    {
        SetHeader("Content-Type", contentType);
        return SendAsync(status, body, body.Length);
    }

    public Task RespondTextAsync(int status, string text) =>
        RespondAsync(status, "text/plain; charset=utf-8", Encoding.UTF8.GetBytes(text + "\n"));

    /// <summary>
    /// Sends the head of a response whose body is written as it comes and ends with the connection; or, when
    /// every stream slot is taken, answers 503 and returns false.
    /// </summary>
    public async Task<bool> StartStreamAsync(string contentType)
    {
        if (becomeStream?.Invoke() == false)
        {
            SetHeader("Retry-After", "10");
            await RespondTextAsync(503, "too many live streams are open; close a console page and reload");
            return false;
        }

        SetHeader("Content-Type", contentType);
        await SendAsync(200, ReadOnlyMemory<byte>.Empty, length: null);
        return true;
    }

    /// <summary>Writes and flushes a piece of a streamed response.</summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data)
    {
        await stream.WriteAsync(data, aborted);
        await stream.FlushAsync(aborted);
    }

    private async Task SendAsync(int status, ReadOnlyMemory<byte> body, int? length)
    {
        if (Responded)
        {
            throw new InvalidOperationException("the response was already sent");
        }

        Responded = true;
        var head = new StringBuilder(256).Append("HTTP/1.1 ").Append(status).Append(' ').Append(Reason(status)).Append("\r\n");
        foreach (var (name, value) in _headers)
        {
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        if (length is { } known)
        {
            head.Append("Content-Length: ").Append(known).Append("\r\n");
        }

        head.Append("Connection: close\r\n\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), aborted);
        if (!request.IsHead)
        {
            await stream.WriteAsync(body, aborted);
        }

        await stream.FlushAsync(aborted);
    }

    private static string Reason(int status) => status switch
    {
        200 => "OK",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Content Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        _ => "Status",
    };
}
