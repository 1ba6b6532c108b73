using System.Text;

namespace ProcessMaster.Core.Events;

/// <summary>
/// Reads the last lines of an event file from its end, a block at a time, so that what boot costs depends
/// on the history kept, not on the file: a crash or a disk error can leave a tail of hundreds of megabytes
/// without a newline, which is skipped (and counted) rather than read into memory.
/// </summary>
public static class EventHistoryReader
{
    /// <summary>The longest line read back; the event log never writes a longer one.</summary>
    public const int MaxLineBytes = 64 * 1024;

    private const int BlockBytes = 64 * 1024;

    /// <summary>Up to <paramref name="count"/> complete lines of <paramref name="file"/>, oldest first; <paramref name="skipped"/> counts overlong ones.</summary>
    public static List<string> LastLines(Stream file, int count, out int skipped)
    {
        var overlongLines = 0;
        var lines = new List<string>();
        var block = new byte[BlockBytes];
        var pending = new List<byte[]>(); // pieces of the line being assembled, last piece first
        var pendingBytes = 0;
        var overlong = false;
        var position = file.Length;
        // The very end of the file is where a line would finish: what follows the last newline is torn and skipped.
        var atEnd = true;
        while (position > 0 && lines.Count < count)
        {
            var length = (int)Math.Min(BlockBytes, position);
            position -= length;
            file.Position = position;
            file.ReadExactly(block, 0, length);
            var end = length;
            for (var i = length - 1; i >= 0 && lines.Count < count; i--)
            {
                if (block[i] != (byte)'\n')
                {
                    continue;
                }

                Take(block.AsSpan(i + 1, end - i - 1));
                end = i;
            }

            if (lines.Count < count)
            {
                Keep(block.AsSpan(0, end));
            }
        }

        if (position == 0 && lines.Count < count)
        {
            Take([]); // the first line of the file has no newline before it
        }

        lines.Reverse();
        skipped = overlongLines;
        return lines;

        void Keep(ReadOnlySpan<byte> piece)
        {
            if (overlong || pendingBytes + piece.Length > MaxLineBytes)
            {
                overlong = true;
                pending.Clear();
                pendingBytes = 0;
                return;
            }

            pending.Add(piece.ToArray());
            pendingBytes += piece.Length;
        }

        void Take(ReadOnlySpan<byte> head)
        {
            Keep(head);
            if (overlong)
            {
                overlongLines++; // also a torn tail that long: it is reported, not read
            }
            else if (atEnd)
            {
                // Bytes after the last newline: a torn write, not a line.
            }
            else if (pendingBytes > 0)
            {
                var line = new byte[pendingBytes];
                var offset = 0;
                for (var p = pending.Count - 1; p >= 0; p--)
                {
                    pending[p].CopyTo(line, offset);
                    offset += pending[p].Length;
                }

                lines.Add(Encoding.UTF8.GetString(line));
            }

            atEnd = false;
            pending.Clear();
            pendingBytes = 0;
            overlong = false;
        }
    }
}
