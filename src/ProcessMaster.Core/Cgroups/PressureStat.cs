using System.Buffers.Text;

namespace ProcessMaster.Core.Cgroups;

/// <summary>One level of a PSI file: the share of time stalled over 10, 60 and 300 s (percent), and the total stall time.</summary>
public readonly record struct PressureLevel(double Avg10, double Avg60, double Avg300, long TotalMicroseconds);

/// <summary>
/// A PSI file (<c>cpu.pressure</c>, <c>memory.pressure</c>, <c>io.pressure</c>):
/// <c>some avg10=0.00 avg60=0.00 avg300=0.00 total=0</c> and the same for <c>full</c> (absent for cpu on older
/// kernels). The one parser of them: perf_metrics and /metrics read the same numbers.
/// </summary>
public sealed record PressureStat(PressureLevel? Some, PressureLevel? Full)
{
    public static PressureStat Parse(ReadOnlySpan<byte> text)
    {
        PressureLevel? some = null, full = null;
        while (!text.IsEmpty)
        {
            var end = text.IndexOf((byte)'\n');
            var line = end < 0 ? text : text[..end];
            text = end < 0 ? default : text[(end + 1)..];
            if (line.StartsWith("some "u8))
            {
                some = Level(line[5..]);
            }
            else if (line.StartsWith("full "u8))
            {
                full = Level(line[5..]);
            }
        }

        return new PressureStat(some, full);
    }

    /// <summary><c>avg10=0.12 avg60=0.05 avg300=0.01 total=12345</c>; a field that is missing or malformed reads as 0.</summary>
    private static PressureLevel Level(ReadOnlySpan<byte> fields)
    {
        double avg10 = 0, avg60 = 0, avg300 = 0;
        long total = 0;
        foreach (var range in fields.Split((byte)' '))
        {
            var field = fields[range];
            var equals = field.IndexOf((byte)'=');
            if (equals <= 0)
            {
                continue;
            }

            var name = field[..equals];
            var value = field[(equals + 1)..];
            if (name.SequenceEqual("total"u8))
            {
                total = Utf8Parser.TryParse(value, out long parsed, out var used) && used == value.Length ? parsed : 0;
            }
            else if (Utf8Parser.TryParse(value, out double average, out var consumed) && consumed == value.Length)
            {
                if (name.SequenceEqual("avg10"u8))
                {
                    avg10 = average;
                }
                else if (name.SequenceEqual("avg60"u8))
                {
                    avg60 = average;
                }
                else if (name.SequenceEqual("avg300"u8))
                {
                    avg300 = average;
                }
            }
        }

        return new PressureLevel(avg10, avg60, avg300, total);
    }
}
