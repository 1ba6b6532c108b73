using Microsoft.Win32.SafeHandles;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Interop;

namespace ProcessMaster.Core.Logs;

/// <summary>
/// A captured log file. Every stream written to the same path shares one instance, so appends are
/// serialized and rotation happens in one place. Opened with O_APPEND|O_NOFOLLOW and mode 0640, parent
/// directories created. Size rotation counts what the file already holds and cuts at line ends; time
/// rotation names the rotated file after the period it holds. Rotated files are gzip-compressed in the
/// background. A failed write (a full disk, say) drops those bytes, is reported once, and capture resumes
/// when writes succeed again.
/// </summary>
public sealed class LogFile : IDisposable
{
    public const int FileMode = 0x1A0; // 0640

    private readonly Lock _lock = new();
    private readonly RotationSettings? _rotation;
    private readonly TimeProvider _time;
    private readonly Action<string> _report;
    private readonly LogCompressor? _compressor;
    private SafeFileHandle? _handle;

    /// <summary>A second, non-append descriptor of the same file: splice(2) refuses O_APPEND targets.</summary>
    private SafeFileHandle? _spliceHandle;
    private bool _spliceUnsupported;
    private long _size;
    private bool _atLineStart = true;
    private string _period = "";
    private long _droppedBytes;
    private bool _failing;

    public LogFile(string path, RotationSettings? rotation, TimeProvider time, Action<string> report, LogCompressor? compressor = null)
    {
        Path = path;
        _rotation = rotation;
        _time = time;
        _report = report;
        _compressor = compressor;
    }

    public string Path { get; }

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
                if (_handle is null)
                {
                    Open();
                }

                if (_rotation?.Mode == RotationMode.Time && _rotation.Frequency != RotationFrequency.None)
                {
                    var period = RotationPolicy.PeriodName(_time.GetLocalNow(), _rotation.Frequency);
                    if (period != _period && !data.IsEmpty)
                    {
                        if (_size > 0)
                        {
                            RotateByTime();
                        }

                        _period = period;
                    }
                }

                while (!data.IsEmpty)
                {
                    var split = _rotation?.Mode == RotationMode.Size ? RotationPolicy.SizeSplit(_size, data, _rotation.SizeLimit, _atLineStart) : -1;
                    if (split < 0)
                    {
                        Write(data);
                        break;
                    }

                    Write(data[..split]);
                    RotateBySize();
                    data = data[split..];
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

                Close();
            }
        }
    }

    /// <summary>What <see cref="TrySplice"/> did.</summary>
    public enum SpliceResult
    {
        /// <summary>Bytes were moved; call again.</summary>
        Moved,

        /// <summary>The pipe is empty for now.</summary>
        WouldBlock,

        /// <summary>Every writer closed the pipe.</summary>
        EndOfFile,

        /// <summary>Not possible now (a rotation could be due, or splice is unsupported): read and <see cref="Append"/> instead.</summary>
        UseAppend,
    }

    /// <summary>
    /// Moves up to <paramref name="maxBytes"/> from a pipe into the file with splice(2), without copying
    /// them through the daemon: used whenever those bytes cannot trigger a size rotation, which needs to
    /// see the data to cut at a line end.
    /// </summary>
    public unsafe SpliceResult TrySplice(int pipe, int maxBytes)
    {
        lock (_lock)
        {
            if (_spliceUnsupported || _failing || _rotation?.Mode == RotationMode.Time ||
                _rotation?.Mode == RotationMode.Size && _size + maxBytes > _rotation.SizeLimit)
            {
                return SpliceResult.UseAppend;
            }

            try
            {
                if (_handle is null)
                {
                    Open();
                }

                _spliceHandle ??= PosixFile.OpenForWritingNoFollow(Path);
                long offset = _size;
                var moved = Linux.Splice(pipe, null, (int)_spliceHandle.DangerousGetHandle(), &offset, (nuint)maxBytes,
                    Linux.SPLICE_F_MOVE | Linux.SPLICE_F_NONBLOCK);
                if (moved > 0)
                {
                    _size += moved;
                    _atLineStart = LastByte(_handle!, _size) == (byte)'\n';
                    return SpliceResult.Moved;
                }

                if (moved == 0)
                {
                    return SpliceResult.EndOfFile;
                }

                var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
                if (errno is Libc.EAGAIN or Libc.EINTR)
                {
                    return SpliceResult.WouldBlock;
                }

                // A full disk is reported (and the data dropped) by the append path; anything else means this
                // file system cannot splice.
                _spliceUnsupported = errno != Libc.ENOSPC;
                return SpliceResult.UseAppend;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _spliceUnsupported = true;
                return SpliceResult.UseAppend;
            }
        }
    }

    private void Write(ReadOnlySpan<byte> data)
    {
        if (!data.IsEmpty)
        {
            RandomAccess.Write(_handle!, data, fileOffset: 0); // O_APPEND: the kernel appends whatever the offset
            _size += data.Length;
            _atLineStart = data[^1] == (byte)'\n';
        }
    }

    private void Open()
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        _handle = PosixFile.OpenForAppendNoFollow(Path, FileMode);
        _size = RandomAccess.GetLength(_handle);
        _atLineStart = _size == 0 || LastByte(_handle, _size) == (byte)'\n';
        if (_rotation?.Mode == RotationMode.Time)
        {
            // What the file already holds belongs to the period it was last written in.
            var written = _size > 0 ? File.GetLastWriteTimeUtc(Path) : _time.GetUtcNow().UtcDateTime;
            _period = RotationPolicy.PeriodName(TimeZoneInfo.ConvertTime(new DateTimeOffset(written, TimeSpan.Zero), _time.LocalTimeZone), _rotation.Frequency);
            BackupFiles.Prune(Path, _rotation.Backups, _rotation.MaxAge, _time.GetUtcNow());
        }
    }

    private static byte LastByte(SafeFileHandle handle, long size)
    {
        Span<byte> last = stackalloc byte[1];
        return RandomAccess.Read(handle, last, size - 1) == 1 ? last[0] : (byte)0;
    }

    private void Close()
    {
        _handle?.Dispose();
        _handle = null;
        _spliceHandle?.Dispose();
        _spliceHandle = null;
    }

    private void RotateBySize()
    {
        Close();
        BackupFiles.ShiftAndRotate(Path, _rotation!.Backups ?? LogSettings.DefaultRotationBackups);
        var rotated = BackupFiles.NumberedPath(Path, 1, compressed: false);
        if (File.Exists(rotated))
        {
            Compress(rotated, FindNumbered);
        }

        Open();
    }

    private void RotateByTime()
    {
        Close();
        var target = BackupFiles.PeriodPath(Path, _period);
        File.Move(Path, target);
        Compress(target, inode => PosixFile.LStat(target)?.Inode == inode ? target : null);
        BackupFiles.Prune(Path, _rotation!.Backups, _rotation.MaxAge, _time.GetUtcNow());
        Open();
    }

    /// <summary>Queues gzip of a rotated file, which is followed by inode: later rotations may rename or delete it.</summary>
    private void Compress(string rotated, Func<ulong, string?> locate)
    {
        if (!_rotation!.Compress || PosixFile.LStat(rotated) is not { } st)
        {
            return;
        }

        var source = new FileStream(rotated, System.IO.FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
        (_compressor ?? LogCompressor.Shared).TryEnqueue(source, System.IO.Path.GetDirectoryName(Path)!, temporary =>
        {
            lock (_lock)
            {
                if (locate(st.Inode) is { } current)
                {
                    File.Move(temporary, current + ".gz", overwrite: true);
                    File.Delete(current);
                }
            }
        }, _report);
    }

    private string? FindNumbered(ulong inode) =>
        BackupFiles.Numbered(Path).Where(b => !b.Compressed).Select(b => b.Path)
            .FirstOrDefault(p => PosixFile.LStat(p)?.Inode == inode);

    public void Dispose()
    {
        lock (_lock)
        {
            Close();
        }
    }
}
