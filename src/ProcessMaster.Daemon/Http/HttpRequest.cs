using System.Net;
using System.Text;

namespace ProcessMaster.Daemon.Http;

/// <summary>
/// An HTTP/1.x request as the daemon's listeners take it: a head of bounded size and, when Content-Length
/// announces one, a body of bounded size. Nothing the console or a scraper sends needs more, so anything
/// else (chunked uploads, folded header lines, conflicting lengths) is refused rather than interpreted.
/// </summary>
/// <param name="Path">The target up to its query string, as sent (not percent-decoded: every route is plain ASCII).</param>
/// <param name="Query">The query string without its <c>?</c>, or empty.</param>
internal sealed record HttpRequest(string Method, string Path, string Query, IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    /// <summary>Set once the body has been read; empty when there is none.</summary>
    public byte[] Body { get; init; } = [];

    public bool IsGet => Method == "GET";

    public bool IsHead => Method == "HEAD";

    /// <summary>The first value of a header (names compare case-insensitively), or null.</summary>
    public string? Header(string name)
    {
        foreach (var (key, value) in Headers)
        {
            if (key.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        return null;
    }

    /// <summary>A cookie of the <c>Cookie</c> header, or null.</summary>
    public string? Cookie(string name)
    {
        foreach (var (key, value) in Headers)
        {
            if (!key.Equals("Cookie", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            foreach (var pair in value.Split(';', StringSplitOptions.TrimEntries))
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                if (equals > 0 && pair.AsSpan(0, equals).SequenceEqual(name))
                {
                    return pair[(equals + 1)..];
                }
            }
        }

        return null;
    }

    /// <summary>A query parameter, percent- and plus-decoded, or null.</summary>
    public string? QueryValue(string name)
    {
        foreach (var pair in Query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var key = WebUtility.UrlDecode(equals < 0 ? pair : pair[..equals]);
            if (key == name)
            {
                return equals < 0 ? "" : WebUtility.UrlDecode(pair[(equals + 1)..]);
            }
        }

        return null;
    }

    /// <summary>
    /// The body's length: 0 without Content-Length, null when the request frames its body in a way this
    /// server does not take (Transfer-Encoding, a malformed or repeated, differing Content-Length).
    /// </summary>
    public long? ContentLength()
    {
        if (Header("Transfer-Encoding") is not null)
        {
            return null;
        }

        long? length = 0;
        var seen = false;
        foreach (var (key, value) in Headers)
        {
            if (!key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            long parsed = 0;
            if (value.Length is 0 or > 18 || !value.All(char.IsAsciiDigit) || !long.TryParse(value, out parsed) || (seen && parsed != length))
            {
                return null;
            }

            length = parsed;
            seen = true;
        }

        return length;
    }

    /// <summary>Parses a request head (without the blank line that ends it); null when it is malformed.</summary>
    public static HttpRequest? Parse(string head)
    {
        var lines = head.Split("\r\n");
        var start = lines[0].Split(' ');
        if (start.Length != 3 || start[0].Length == 0 || !start[0].All(char.IsAsciiLetterUpper) ||
            !start[1].StartsWith('/') || !start[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            return null;
        }

        var headers = new List<KeyValuePair<string, string>>(lines.Length - 1);
        foreach (var line in lines.AsSpan(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            // No name, a name with blanks (which includes folded continuation lines), or control characters.
            if (colon <= 0 || line.AsSpan(0, colon).ContainsAny(' ', '\t') || line.Any(c => c < ' ' && c != '\t'))
            {
                return null;
            }

            headers.Add(new(line[..colon], line[(colon + 1)..].Trim(' ', '\t')));
        }

        var target = start[1];
        var query = target.IndexOf('?', StringComparison.Ordinal);
        return new HttpRequest(start[0], query < 0 ? target : target[..query], query < 0 ? "" : target[(query + 1)..], headers);
    }

    /// <summary>
    /// Reads the head (up to the blank line) from <paramref name="stream"/>; null when it is malformed, when
    /// the peer closes first, or when it is longer than <paramref name="maxBytes"/> (nothing past that is read).
    /// Bytes read past the head are returned with it: they are the start of the body.
    /// </summary>
    public static async Task<(HttpRequest Request, ArraySegment<byte> BodyStart)?> ReadHeadAsync(Stream stream, int maxBytes, CancellationToken cancellation)
    {
        var buffer = new byte[maxBytes];
        var length = 0;
        while (length < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(length), cancellation);
            if (read == 0)
            {
                return null;
            }

            var searchFrom = Math.Max(0, length - 3);
            length += read;
            if (buffer.AsSpan(searchFrom, length - searchFrom).IndexOf("\r\n\r\n"u8) is var found and >= 0)
            {
                var end = searchFrom + found;
                return Parse(Encoding.Latin1.GetString(buffer, 0, end)) is { } request
                    ? (request, new ArraySegment<byte>(buffer, end + 4, length - end - 4))
                    : null;
            }
        }

        return null;
    }
}
