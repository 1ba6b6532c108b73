using System.Globalization;
using System.Text;

namespace ProcessMaster.Daemon.Metrics;

/// <summary>
/// Writes metric families in the Prometheus text format 0.0.4 or, when <c>openMetrics</c>, OpenMetrics
/// 1.0 (counters are typed without their <c>_total</c> suffix there, and the text ends with <c># EOF</c>).
/// Families must be written one after the other, each with all its samples.
/// </summary>
internal sealed class ExpositionWriter(bool openMetrics)
{
    public const string PrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";
    public const string OpenMetricsContentType = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    private readonly StringBuilder _text = new(64 * 1024);

    public string ContentType => openMetrics ? OpenMetricsContentType : PrometheusContentType;

    /// <summary>Starts a family; <paramref name="type"/> is counter, gauge or info-like gauge.</summary>
    public void Family(string name, string type, string help)
    {
        var typed = openMetrics && type == "counter" && name.EndsWith("_total", StringComparison.Ordinal) ? name[..^"_total".Length] : name;
        _text.Append("# HELP ").Append(typed).Append(' ').Append(help).Append('\n');
        _text.Append("# TYPE ").Append(typed).Append(' ').Append(type).Append('\n');
    }

    public void Sample(string name, double value, params (string Name, string Value)[] labels)
    {
        _text.Append(name);
        if (labels.Length > 0)
        {
            _text.Append('{');
            for (var i = 0; i < labels.Length; i++)
            {
                if (i > 0)
                {
                    _text.Append(',');
                }

                _text.Append(labels[i].Name).Append("=\"");
                AppendEscaped(labels[i].Value);
                _text.Append('"');
            }

            _text.Append('}');
        }

        _text.Append(' ').Append(Format(value)).Append('\n');
    }

    /// <summary>The exposition, finished.</summary>
    public byte[] ToBytes()
    {
        if (openMetrics)
        {
            _text.Append("# EOF\n");
        }

        return Encoding.UTF8.GetBytes(_text.ToString());
    }

    /// <summary>Label values escape backslash, double quote and newline, as both formats require.</summary>
    private void AppendEscaped(string value)
    {
        foreach (var c in value)
        {
            _ = c switch
            {
                '\\' => _text.Append(@"\\"),
                '"' => _text.Append("\\\""),
                '\n' => _text.Append(@"\n"),
                _ => _text.Append(c),
            };
        }
    }

    internal static string Format(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf"
        : double.IsNegativeInfinity(value) ? "-Inf"
        : double.IsNaN(value) ? "NaN"
        : value.ToString("R", CultureInfo.InvariantCulture);
}
