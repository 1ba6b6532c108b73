using System.Text;
using Microsoft.Win32.SafeHandles;
using ProcessMaster.Core.Files;

namespace ProcessMaster.Core.Logs;

/// <summary>
/// Reads the last lines of a log file from its end, without reading the whole file, through the same
/// rule as capture (<see cref="SafeDirectory"/>): a symlink, FIFO, hard link or stranger's file in a
/// service's log directory is refused, never read.
/// </summary>
public static class LogTailReader
{
    /// <summary>Read backwards in blocks on the stack: a tail asked for every few seconds leaves nothing on the heap or in a pool.</summary>
    private const int BlockSize = 8 * 1024;

    /// <summary>
    /// The last <paramref name="count"/> complete or partial lines, reading at most <paramref name="maxBytes"/>
    /// from the end (the first, cut line is then left out).
    /// </summary>
    /// <exception cref="IOException">The file cannot be read, or was refused (<see cref="UnsafeFileException"/>).</exception>
    public static List<string> LastLines(string path, int count, FileOwners owners, long maxBytes)
    {
        using var directory = SafeDirectory.OpenParent(path, out var name);
        using var file = directory.OpenForReading(name, owners);
        var length = RandomAccess.GetLength(file);
        var start = StartOfLastLines(file, length, Math.Max(0, length - maxBytes), count);
        // Only the wanted lines are read and decoded: a tail of 20 lines costs 20 lines, not a block.
        var bytes = new byte[length - start];
        var got = 0;
        while (got < bytes.Length && RandomAccess.Read(file, bytes.AsSpan(got), start + got) is var n and > 0)
        {
            got += n;
        }

        var lines = new List<string>(Math.Min(count, 1024));
        var rest = bytes.AsSpan(0, got);
        while (!rest.IsEmpty)
        {
            var newline = rest.IndexOf((byte)'\n');
            lines.Add(Encoding.UTF8.GetString(newline < 0 ? rest : rest[..newline]));
            rest = newline < 0 ? [] : rest[(newline + 1)..];
        }

        return lines;
    }

    /// <summary>
    /// Where the last <paramref name="count"/> lines begin, not before <paramref name="limit"/>: a line cut by
    /// the limit is left out. A trailing newline ends the last line; it does not start a new one.
    /// </summary>
    private static long StartOfLastLines(SafeFileHandle file, long length, long limit, int count)
    {
        if (count <= 0)
        {
            return length;
        }

        Span<byte> block = stackalloc byte[BlockSize];
        var end = length;
        var newlines = 0;
        while (end > limit)
        {
            var size = (int)Math.Min(BlockSize, end - limit);
            var span = block[..size];
            if (RandomAccess.Read(file, span, end - size) != size)
            {
                return end; // the file shrank under us: what was seen is what there is
            }

            for (var i = size - 1; i >= 0; i--)
            {
                if (span[i] != (byte)'\n' || end - size + i == length - 1)
                {
                    continue;
                }

                if (++newlines == count)
                {
                    return end - size + i + 1;
                }
            }

            end -= size;
        }

        return limit == 0 ? 0 : FirstLineAfter(file, limit, length, block);
    }

    /// <summary>The offset after the first newline at or after <paramref name="from"/> (the end when there is none).</summary>
    private static long FirstLineAfter(SafeFileHandle file, long from, long length, Span<byte> block)
    {
        // The line that starts before the limit is cut: the first whole one follows its newline.
        for (var at = from - 1; at < length;)
        {
            var got = RandomAccess.Read(file, block[..(int)Math.Min(BlockSize, length - at)], at);
            if (got <= 0)
            {
                break;
            }

            var newline = block[..got].IndexOf((byte)'\n');
            if (newline >= 0)
            {
                return at + newline + 1;
            }

            at += got;
        }

        return length;
    }
}
