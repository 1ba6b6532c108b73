using System.Globalization;
using System.Text;
using ProcessMaster.Core.Supervision;

namespace ProcessMaster.Core.Processes;

/// <summary>
/// One sd_notify datagram (sd_notify(3)): newline-separated <c>KEY=VALUE</c> assignments. What processmaster
/// acts on: <c>READY=1</c>, <c>STOPPING=1</c>, <c>WATCHDOG=1</c>, <c>STATUS=</c>, <c>MAINPID=</c>; anything
/// else (RELOADING, ERRNO, FDSTORE, ...) is ignored.
/// </summary>
public static class NotifyDatagram
{
    /// <summary>Longest STATUS= kept: it is shown in status tables.</summary>
    public const int MaxStatus = 200;

    /// <summary>What the datagram says; null when it says nothing processmaster acts on.</summary>
    public static NotifyMessage? Parse(ReadOnlySpan<byte> datagram)
    {
        bool ready = false, stopping = false, watchdog = false;
        string? status = null;
        int? mainPid = null;
        foreach (var range in datagram.Split((byte)'\n'))
        {
            var line = datagram[range];
            var equals = line.IndexOf((byte)'=');
            if (equals <= 0)
            {
                continue;
            }

            var key = line[..equals];
            var value = line[(equals + 1)..];
            if (key.SequenceEqual("READY"u8))
            {
                ready |= value.SequenceEqual("1"u8);
            }
            else if (key.SequenceEqual("STOPPING"u8))
            {
                stopping |= value.SequenceEqual("1"u8);
            }
            else if (key.SequenceEqual("WATCHDOG"u8))
            {
                watchdog |= value.SequenceEqual("1"u8);
            }
            else if (key.SequenceEqual("STATUS"u8))
            {
                status = Printable(Encoding.UTF8.GetString(value[..Math.Min(value.Length, MaxStatus * 4)]));
            }
            else if (key.SequenceEqual("MAINPID"u8) &&
                     int.TryParse(Encoding.ASCII.GetString(value), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 1)
            {
                mainPid = pid;
            }
        }

        return ready || stopping || watchdog || status is not null || mainPid is not null
            ? new NotifyMessage(ready, stopping, watchdog, status, mainPid)
            : null;
    }

    /// <summary>A service's words shown to operators: no control characters (terminal escapes), a bounded length.</summary>
    private static string Printable(string text)
    {
        var clean = new StringBuilder(Math.Min(text.Length, MaxStatus));
        foreach (var c in text)
        {
            if (clean.Length == MaxStatus)
            {
                break;
            }

            clean.Append(char.IsControl(c) ? ' ' : c);
        }

        return clean.ToString();
    }
}
