using System.Text;
using ProcessMaster.Core.Interop;

namespace ProcessMaster.Core.Logs;

/// <summary>Reads the last lines of a log file from its end, without reading the whole file.</summary>
public static class LogTailReader
{
    private const int BlockSize = 64 * 1024;

    /// <summary>The last <paramref name="count"/> complete or partial lines, reading at most <paramref name="maxBytes"/>.</summary>
    public static List<string> LastLines(string path, int count, long maxBytes = 8 * 1024 * 1024)
    {
        using var file = PosixFile.OpenForReading(path, out var error) ?? throw new IOException($"{path}: {error}");
        if (!PosixFile.IsRegularFile(file))
        {
            throw new IOException($"{path}: not a regular file");
        }

        var length = RandomAccess.GetLength(file);
        var end = length;
        var chunks = new List<byte[]>();
        var newlines = 0;
        var read = 0L;
        // A trailing newline ends the last line; it does not start a new one.
        var lastByte = new byte[1];
        if (length > 0 && RandomAccess.Read(file, lastByte, length - 1) == 1 && lastByte[0] == (byte)'\n')
        {
            newlines = -1;
        }

        while (end > 0 && newlines < count && read < maxBytes)
        {
            var size = (int)Math.Min(BlockSize, end);
            var block = new byte[size];
            var got = RandomAccess.Read(file, block, end - size);
            if (got != size)
            {
                break;
            }

            chunks.Add(block);
            end -= size;
            read += size;
            newlines += block.Count(b => b == (byte)'\n');
        }

        chunks.Reverse();
        var text = Encoding.UTF8.GetString(chunks.SelectMany(c => c).ToArray());
        var lines = text.Split('\n').ToList();
        if (lines.Count > 0 && lines[^1].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        if (end > 0 && lines.Count > 0)
        {
            lines.RemoveAt(0); // the first line may be cut; it is not complete
        }

        return lines.Count > count ? lines.GetRange(lines.Count - count, count) : lines;
    }
}
