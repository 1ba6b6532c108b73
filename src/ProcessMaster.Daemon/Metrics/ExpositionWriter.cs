using System.Buffers;
using System.Globalization;
using System.Text;

namespace ProcessMaster.Daemon.Metrics;

/// <summary>
/// Writes metric families in the Prometheus text format 0.0.4 or, when <c>openMetrics</c>, OpenMetrics
/// 1.0 (counters are typed without their <c>_total</c> suffix there, and the text ends with <c># EOF</c>).
/// Families must be written one after the other, each with all its samples. The text goes as UTF-8
/// straight into a pooled buffer (a scrape of a thousand services is megabytes); dispose it once sent.
/// </summary>
internal sealed class ExpositionWriter(bool openMetrics) : IDisposable
{
    public const string PrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";
    public const string OpenMetricsContentType = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    /// <summary>The size of the last exposition: the next one starts with room for it rather than doubling up to it.</summary>
    private static int s_lastLength = 64 * 1024;

    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(Volatile.Read(ref s_lastLength) + 4096);
    private int _length;
    private bool _finished;

    public string ContentType => openMetrics ? OpenMetricsContentType : PrometheusContentType;

    /// <summary>Starts a family; <paramref name="type"/> is counter or gauge.</summary>
    public void Family(string name, string type, string help)
    {
        var typed = openMetrics && type == "counter" && name.EndsWith("_total", StringComparison.Ordinal) ? name.AsSpan(0, name.Length - "_total".Length) : name;
        Append("# HELP ").Append(typed).Append(" ").Append(help).Append("\n# TYPE ").Append(typed).Append(" ").Append(type).Append("\n");
    }

    public void Sample(string name, double value) => Append(name).Value(value);

    public void Sample(string name, double value, (string Name, string Value) a) => Append(name).Open(a).Close().Value(value);

    public void Sample(string name, double value, (string Name, string Value) a, (string Name, string Value) b) =>
        Append(name).Open(a).Label(b).Close().Value(value);

    public void Sample(string name, double value, (string Name, string Value) a, (string Name, string Value) b, (string Name, string Value) c) =>
        Append(name).Open(a).Label(b).Label(c).Close().Value(value);

    public void Sample(string name, double value, (string Name, string Value) a, (string Name, string Value) b, (string Name, string Value) c,
        (string Name, string Value) d) =>
        Append(name).Open(a).Label(b).Label(c).Label(d).Close().Value(value);

    /// <summary>The exposition, finished; valid until the writer is disposed.</summary>
    public ReadOnlyMemory<byte> Finish()
    {
        if (openMetrics && !_finished)
        {
            Append("# EOF\n");
        }

        _finished = true;
        Volatile.Write(ref s_lastLength, _length);
        return _buffer.AsMemory(0, _length);
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    private ExpositionWriter Open((string Name, string Value) label) => Append("{").Pair(label);

    private ExpositionWriter Label((string Name, string Value) label) => Append(",").Pair(label);

    private ExpositionWriter Close() => Append("}");

    private ExpositionWriter Pair((string Name, string Value) label)
    {
        Append(label.Name).Append("=\"");
        foreach (var c in label.Value)
        {
            // Label values escape backslash, double quote and newline, as both formats require.
            _ = c switch
            {
                '\\' => Append(@"\\"),
                '"' => Append("\\\""),
                '\n' => Append(@"\n"),
                _ => Append(new ReadOnlySpan<char>(in c)),
            };
        }

        return Append("\"");
    }

    private void Value(double value)
    {
        Append(" ");
        if (double.IsPositiveInfinity(value))
        {
            Append("+Inf");
        }
        else if (double.IsNegativeInfinity(value))
        {
            Append("-Inf");
        }
        else if (double.IsNaN(value))
        {
            Append("NaN");
        }
        else
        {
            Reserve(32);
            value.TryFormat(_buffer.AsSpan(_length), out var written, "R", CultureInfo.InvariantCulture);
            _length += written;
        }

        Append("\n");
    }

    private ExpositionWriter Append(ReadOnlySpan<char> text)
    {
        Reserve(Encoding.UTF8.GetMaxByteCount(text.Length));
        _length += Encoding.UTF8.GetBytes(text, _buffer.AsSpan(_length));
        return this;
    }

    private void Reserve(int bytes)
    {
        if (_length + bytes <= _buffer.Length)
        {
            return;
        }

        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + bytes));
        _buffer.AsSpan(0, _length).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = larger;
    }
}
