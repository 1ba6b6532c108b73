using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using ProcessMaster.Core.Interop;

namespace ProcessMaster.Core.Events;

/// <summary>One event in memory, with its place in the history of every channel.</summary>
internal readonly record struct NumberedEvent(long Seq, EventEntry Entry);

/// <summary>
/// One part of the history (the daemon's, or the services'): a bounded ring in memory and a bounded,
/// rotated JSON-lines file, so what one part records never pushes the other out. Not thread-safe: the
/// event log calls it under its lock.
/// </summary>
internal sealed class EventChannel(string? file, int capacity)
{
    public const long FileRotationBytes = 4 * 1024 * 1024;
    public const int FileBackups = 2;

    /// <summary>0640: events quote what services and configuration files said, which is not for every local user.</summary>
    public const int FileMode = 0x1A0;

    private readonly LinkedList<NumberedEvent> _ring = new();
    private SafeFileHandle? _handle;
    private long _fileBytes;

    public LinkedList<NumberedEvent> Ring => _ring;

    public void Add(NumberedEvent numbered)
    {
        _ring.AddLast(numbered);
        if (_ring.Count > capacity)
        {
            _ring.RemoveFirst();
        }

        Persist(numbered.Entry);
    }

    /// <summary>
    /// The last events of the channel's files (its backups first), at most the ring's capacity; what cannot be
    /// read back (a torn line, an overlong one) is counted in <paramref name="skipped"/>.
    /// </summary>
    public List<EventEntry> ReadHistory(out int skipped)
    {
        skipped = 0;
        var history = new List<EventEntry>();
        if (file is null)
        {
            return history;
        }

        // Newest file first, each from its end, until the ring would be full.
        foreach (var path in new[] { file }.Concat(Enumerable.Range(1, FileBackups).Select(i => $"{file}.{i}")))
        {
            if (history.Count >= capacity || !File.Exists(path))
            {
                continue;
            }

            using var stream = new FileStream(path, System.IO.FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1);
            var lines = EventHistoryReader.LastLines(stream, capacity - history.Count, out var overlong);
            skipped += overlong;
            var entries = new List<EventEntry>(lines.Count);
            foreach (var line in lines)
            {
                if (EventLineReader.Read(line) is { } entry)
                {
                    entries.Add(entry);
                }
                else
                {
                    skipped++;
                }
            }

            history.InsertRange(0, entries);
        }

        return history;
    }

    private void Persist(EventEntry entry)
    {
        if (file is null)
        {
            return;
        }

        try
        {
            var line = UnpooledJson.Serialize(entry.ToLine(), EventJsonContext.Default.EventLine);
            if (line.Length >= EventHistoryReader.MaxLineBytes)
            {
                // Every line can be read back: an event that long is kept as its text, cut.
                var cut = new Notice(entry.Component, entry.Message[..Math.Min(entry.Message.Length, EventHistoryReader.MaxLineBytes / 8)] + "…");
                line = UnpooledJson.Serialize(new EventEntry(entry.Time, entry.App, cut).ToLine(), EventJsonContext.Default.EventLine);
            }

            if (_fileBytes + line.Length + 1 > FileRotationBytes)
            {
                _handle?.Dispose();
                _handle = null;
                Rotate(file);
                _fileBytes = 0;
            }

            _handle ??= OpenForAppend(file);
            RandomAccess.Write(_handle, [.. line, (byte)'\n'], fileOffset: 0); // O_APPEND
            _fileBytes += line.Length + 1;
        }
        catch (Exception)
        {
            // History on disk is best effort (a full disk, say); the ring still has the event.
            _handle?.Dispose();
            _handle = null;
        }
    }

    /// <summary>
    /// Opens the file for appending with mode 0640 (also fixing an older, wider mode). A file that does not end
    /// in a newline (a write torn by a crash or a full disk) gets one first, so the next event is a line of its own.
    /// </summary>
    private SafeFileHandle OpenForAppend(string path)
    {
        var fd = Libc.Open(path, Libc.O_RDWR | Libc.O_APPEND | Libc.O_CREAT | Libc.O_NOFOLLOW | Libc.O_CLOEXEC | Libc.O_NONBLOCK, FileMode);
        if (fd < 0)
        {
            throw new IOException($"{path}: {Linux.LastErrorText()}");
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        Libc.FChmod(fd, FileMode);
        _fileBytes = RandomAccess.GetLength(handle);
        var last = new byte[1];
        if (_fileBytes > 0 && RandomAccess.Read(handle, last, _fileBytes - 1) == 1 && last[0] != (byte)'\n')
        {
            RandomAccess.Write(handle, "\n"u8, fileOffset: 0);
            _fileBytes++;
        }

        return handle;
    }

    private static void Rotate(string path)
    {
        for (var i = FileBackups; i >= 1; i--)
        {
            var from = i == 1 ? path : $"{path}.{i - 1}";
            if (File.Exists(from))
            {
                File.Move(from, $"{path}.{i}", overwrite: true);
            }
        }
    }
}
