using System.Text;
using ProcessMaster.Core.Files;

namespace ProcessMaster.Core.Logs;

/// <summary>
/// Reads the last lines of a log file from its end, without reading the whole file, through the same
/// rule as capture (<see cref="SafeDirectory"/>): a symlink, FIFO, hard link or stranger's file in a
/// service's log directory is refused, never read.
/// </summary>
public static class LogTailReader
{
    private const int BlockSize = 64 * 1024;

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
            var size = (int)Math.Min(Math.Min(BlockSize, end), maxBytes - read);
            var block = new byte[size];
            var got = RandomAccess.Read(file, block, end - size);
            if (got != size)
            {
                break;
            }

            chunks.Add(block);
            end -= size;
            read += size;
            newlines += block.AsSpan().Count((byte)'\n');
        }

        chunks.Reverse();
        var text = Encoding.UTF8.GetString([.. chunks.SelectMany(c => c)]);
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
