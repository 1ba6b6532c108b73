using System.Buffers;
using System.IO.Pipelines;

namespace ProcessMaster.Protocol;

/// <summary>
/// The protocol's framing, for both ends: one JSON message per line, <c>\n</c>-terminated. Reads a
/// stream through a pipe that borrows a buffer only while bytes are arriving (zero-byte reads), so an
/// idle connection holds none.
/// </summary>
public static class JsonLines
{
    public static PipeReader Reader(Stream stream) =>
        PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, useZeroByteReads: true, leaveOpen: true));

    /// <summary>
    /// Calls <paramref name="onLine"/> with each line (without its newline) until the stream ends. A line
    /// longer than <paramref name="maxLineBytes"/> is not delivered: <paramref name="onOverlong"/> is
    /// called once as soon as it is too long, and the rest of it is skipped.
    /// </summary>
    public static async Task ReadAsync(PipeReader reader, int maxLineBytes, Func<ReadOnlyMemory<byte>, ValueTask> onLine,
        Func<ValueTask> onOverlong, CancellationToken cancellation)
    {
        var skipping = false;
        while (true)
        {
            var result = await reader.ReadAsync(cancellation);
            var buffer = result.Buffer;
            while (buffer.PositionOf((byte)'\n') is { } end)
            {
                var line = buffer.Slice(0, end);
                buffer = buffer.Slice(buffer.GetPosition(1, end));
                if (skipping)
                {
                    skipping = false; // the end of the line that was too long
                }
                else if (line.Length > maxLineBytes)
                {
                    await onOverlong();
                }
                else
                {
                    await onLine(line.IsSingleSegment ? line.First : line.ToArray());
                }
            }

            if (!skipping && buffer.Length > maxLineBytes)
            {
                skipping = true;
                await onOverlong();
            }

            // What is skipped is consumed; a partial line waits for more.
            reader.AdvanceTo(skipping ? buffer.End : buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                return;
            }
        }
    }
}
