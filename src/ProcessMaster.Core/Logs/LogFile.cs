using Microsoft.Win32.SafeHandles;
using ProcessMaster.Core.Interop;

namespace ProcessMaster.Core.Logs;

/// <summary>
/// A captured log file. Every stream written to the same path shares one instance, so appends are
/// serialized. Opened with O_APPEND|O_NOFOLLOW and mode 0640; parent directories are created. A failed
/// write (a full disk, say) drops those bytes, is reported once, and capture resumes when writes succeed.
/// </summary>
public sealed class LogFile : IDisposable
{
    public const int FileMode = 0x1A0; // 0640

    private readonly Lock _lock = new();
    private readonly Action<string> _report;
    private SafeFileHandle? _handle;
    private long _droppedBytes;
    private bool _failing;

    internal LogFile(string path, Action<string> report)
    {
        Path = path;
        _report = report;
    }

    public string Path { get; }

    /// <summary>A log file not shared through a registry (the daemon's own log).</summary>
    public static LogFile CreateStandalone(string path, long rotationBytes, int backups) =>
        new(path, message => Console.Error.WriteLine($"processmaster: {message}"));

    internal int References { get; set; }

    /// <summary>Bytes lost to write failures since the file was opened.</summary>
    public long DroppedBytes => Interlocked.Read(ref _droppedBytes);

    /// <summary>Creates the file now, so it exists from the moment its service starts.</summary>
    public void EnsureCreated() => Append([]);

    public void Append(ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            try
            {
                _handle ??= Open();
                if (!data.IsEmpty)
                {
                    RandomAccess.Write(_handle, data, fileOffset: 0); // O_APPEND: the kernel appends whatever the offset
                }

                if (_failing)
                {
                    _failing = false;
                    _report($"log capture resumed path={Path} dropped_bytes={DroppedBytes}");
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Interlocked.Add(ref _droppedBytes, data.Length);
                if (!_failing)
                {
                    _failing = true;
                    _report($"log write failed path={Path} err={e.Message} (output is dropped until writes succeed again)");
                }

                _handle?.Dispose();
                _handle = null;
            }
        }
    }

    private SafeFileHandle Open()
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        return PosixFile.OpenForAppendNoFollow(Path, FileMode);
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _handle?.Dispose();
            _handle = null;
        }
    }
}
