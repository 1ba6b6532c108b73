using System.Text;

namespace ProcessMaster.Daemon.Metrics;

/// <summary>The parts of an HTTP/1.x request head that a scrape needs; the body, if any, is never read.</summary>
/// <param name="Path">The target without its query string.</param>
internal sealed record MetricsRequest(string Method, string Path, string? Authorization, string? Accept)
{
    /// <summary>Reads the head (up to the blank line) from <paramref name="stream"/>; null when it is malformed or longer than <paramref name="maxBytes"/>.</summary>
    public static async Task<MetricsRequest?> ReadAsync(Stream stream, int maxBytes, CancellationToken cancellation)
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

            length += read;
            if (buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8) is var end and >= 0)
            {
                return Parse(Encoding.Latin1.GetString(buffer, 0, end));
            }
        }

        return null;
    }

    /// <summary>Parses a request head (without the blank line that ends it).</summary>
    public static MetricsRequest? Parse(string head)
    {
        var lines = head.Split("\r\n");
        var start = lines[0].Split(' ');
        if (start.Length != 3 || start[0].Length == 0 || !start[1].StartsWith('/') || !start[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            return null;
        }

        string? authorization = null, accept = null;
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                return null;
            }

            var name = line[..colon];
            var value = line[(colon + 1)..].Trim();
            if (name.Equals("Authorization", StringComparison.OrdinalIgnoreCase))
            {
                authorization = value;
            }
            else if (name.Equals("Accept", StringComparison.OrdinalIgnoreCase))
            {
                accept = value;
            }
        }

        var query = start[1].IndexOf('?', StringComparison.Ordinal);
        return new MetricsRequest(start[0], query < 0 ? start[1] : start[1][..query], authorization, accept);
    }
}
