using Microsoft.Win32.SafeHandles;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Files;
using ProcessMaster.Core.Interop;

namespace ProcessMaster.Core.Logs;

/// <summary>
/// A captured log file. Every stream written to the same path shares one instance, so appends are
/// serialized and rotation happens in one place. The file lives in a directory the service's user may
/// control, so it is reached through <see cref="SafeDirectory"/>: no symlink followed, a FIFO or device
/// never opened for use, a hard link or a stranger's file refused. Mode 0640. Size rotation counts what
/// the file already holds and cuts at line ends; time rotation names the rotated file after the period it
/// holds. Rotated files are gzip-compressed in the background. A failed or refused write drops those bytes
/// (counted), is reported once, and capture resumes by itself once the file can be written again (tried
/// at most once per <see cref="RetryInterval"/>).
/// </summary>
public sealed class LogFile : IDisposable
{
    public const int FileMode = 0x1A0; // 0640

    /// <summary>After a failed open, how long output is dropped before the file is tried again.</summary>
    public static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    private readonly string _directoryPath;
    private readonly string _name;
    private readonly RotationSettings? _rotation;
    private readonly TimeProvider _time;
    private readonly Action<string> _report;
    private readonly FileOwners _owners;
    private readonly LogCompressor _compressor;

    /// <summary>The log directory, held while the file is open so rotation renames exactly there.</summary>
    private SafeDirectory? _directory;
    private SafeFileHandle? _handle;

    /// <summary>A second, non-append descriptor of the same file: splice(2) refuses O_APPEND targets.</summary>
    private SafeFileHandle? _spliceHandle;
    private bool _spliceUnsupported;
    private long _size;
    private bool _atLineStart = true;
    private string _period = "";
    private long _droppedBytes;
    private long _writtenBytes;
    private bool _failing;

    /// <summary>Bytes were dropped since the last write: a line the file holds may have lost its end.</summary>
    private bool _torn;

    /// <summary>Timestamp (of <see cref="_time"/>) before which a failed file is not opened again.</summary>
    private long _retryAt;

    public LogFile(string path, RotationSettings? rotation, TimeProvider time, Action<string> report, FileOwners owners, LogCompressor? compressor = null)
    {
        Path = path;
        _directoryPath = System.IO.Path.GetDirectoryName(path) ?? "/";
        _name = System.IO.Path.GetFileName(path);
        _rotation = rotation;
        _time = time;
        _report = report;
        _owners = owners;
        _compressor = compressor ?? LogCompressor.Shared;
    }

    public string Path { get; }

    internal int References { get; set; }

    /// <summary>Bytes lost to failed or refused writes since the file was opened.</summary>
    public long DroppedBytes => Interlocked.Read(ref _droppedBytes);

    /// <summary>Bytes written to the file (across rotations) since it was opened.</summary>
    public long WrittenBytes => Interlocked.Read(ref _writtenBytes);

    /// <summary>Creates the file now, so it exists from the moment its service starts.</summary>
    public void EnsureCreated() => Append([]);

    /// <summary>Drops the open file and directory, so the next write walks the path again (and refuses what it must).</summary>
    public void Reopen()
    {
        lock (_lock)
        {
            CloseAll();
        }
    }

    public void Append(ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            try
            {
                if (_handle is null && !TryOpen())
                {
                    Drop(data.Length);
                    return;
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

                if (_torn && !data.IsEmpty)
                {
                    // The end of a line was lost (a full disk, a refused file): what comes next starts a line of its own.
                    if (!_atLineStart)
                    {
                        Write("\n"u8);
                    }

                    _torn = false;
                }

                while (!data.IsEmpty)
                {
                    var split = _rotation?.Mode == RotationMode.Size ? RotationPolicy.SizeSplit(_size, data, _rotation.SizeLimit, _atLineStart) : -1;
                    if (split < 0)
                    {
                        Write(data);
                        data = [];
                        break;
                    }

                    Write(data[..split]);
                    data = data[split..];
                    RotateBySize();
                }

                if (_failing)
                {
                    _failing = false;
                    _report($"log capture resumed path={Path} dropped_bytes={DroppedBytes}");
                }
            }
            catch (Exception e)
            {
                // Whatever the disk or the service's user did, the pump carries on: these bytes are counted as lost.
                Fail(e);
                Drop(data.Length);
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

        /// <summary>Not possible now (a rotation could be due, the file is failing, or splice is unsupported): read and <see cref="Append"/> instead.</summary>
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
            if (_spliceUnsupported || _failing || _torn || _handle is null || _rotation?.Mode == RotationMode.Time ||
                _rotation?.Mode == RotationMode.Size && _size + maxBytes > _rotation.SizeLimit)
            {
                return SpliceResult.UseAppend;
            }

            // The same open file through its descriptor's magic link: no name is looked up again.
            _spliceHandle ??= OpenSpliceTarget(_handle);
            if (_spliceHandle is null)
            {
                _spliceUnsupported = true;
                return SpliceResult.UseAppend;
            }

            long offset = _size;
            nint moved;
            try
            {
                moved = Linux.Splice(pipe, null, (int)_spliceHandle.DangerousGetHandle(), &offset, (nuint)maxBytes,
                    Linux.SPLICE_F_MOVE | Linux.SPLICE_F_NONBLOCK);
                if (moved > 0)
                {
                    _size += moved;
                    Interlocked.Add(ref _writtenBytes, moved);
                    _atLineStart = LastByte(_handle, _size) == (byte)'\n';
                    return SpliceResult.Moved;
                }
            }
            catch (IOException)
            {
                _spliceUnsupported = true;
                return SpliceResult.UseAppend;
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
    }

    private static SafeFileHandle? OpenSpliceTarget(SafeFileHandle file)
    {
        var fd = Libc.Open($"/proc/self/fd/{file.DangerousGetHandle()}", Libc.O_WRONLY | Libc.O_CLOEXEC | Libc.O_NOCTTY | Libc.O_NONBLOCK, 0);
        return fd < 0 ? null : new SafeFileHandle(fd, ownsHandle: true);
    }

    private void Write(ReadOnlySpan<byte> data)
    {
        if (!data.IsEmpty)
        {
            RandomAccess.Write(_handle!, data, fileOffset: 0); // O_APPEND: the kernel appends whatever the offset
            _size += data.Length;
            Interlocked.Add(ref _writtenBytes, data.Length);
            _atLineStart = data[^1] == (byte)'\n';
        }
    }

    private bool TryOpen()
    {
        if (_failing && _time.GetTimestamp() < _retryAt)
        {
            return false;
        }

        try
        {
            Open();
            return true;
        }
        catch (Exception e)
        {
            Fail(e);
            return false;
        }
    }

    private void Open()
    {
        _directory ??= SafeDirectory.Open(_directoryPath, create: true);
        _handle = _directory.OpenForAppend(_name, FileMode, _owners);
        _size = RandomAccess.GetLength(_handle);
        _atLineStart = _size == 0 || LastByte(_handle, _size) == (byte)'\n';
        if (_rotation?.Mode == RotationMode.Time)
        {
            // What the file already holds belongs to the period it was last written in.
            var written = _size > 0 && SafeDirectory.StatFd((int)_handle.DangerousGetHandle()) is { } st
                ? st.ModifyTime.ToDateTimeOffset()
                : _time.GetUtcNow();
            _period = RotationPolicy.PeriodName(TimeZoneInfo.ConvertTime(written, _time.LocalTimeZone), _rotation.Frequency);
            BackupFiles.Prune(_directory, _name, _rotation.Backups, _rotation.MaxAge, _time.GetUtcNow());
        }
    }

    private void Fail(Exception e)
    {
        CloseAll();
        _retryAt = _time.GetTimestamp() + (long)(RetryInterval.TotalSeconds * _time.TimestampFrequency);
        if (!_failing)
        {
            _failing = true;
            _report(e is UnsafeFileException
                ? $"log file refused: {e.Message}; output is dropped (and counted) until it can be written safely"
                : $"log write failed path={Path} err={e.Message} (output is dropped until writes succeed again)");
        }
    }

    private void Drop(int bytes)
    {
        if (bytes > 0)
        {
            _torn = true;
            Interlocked.Add(ref _droppedBytes, bytes);
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

    /// <summary>Closes the directory too, so the next open walks its path again.</summary>
    private void CloseAll()
    {
        Close();
        _directory?.Dispose();
        _directory = null;
    }

    private void RotateBySize()
    {
        Close();
        var keep = _rotation!.Backups ?? LogSettings.DefaultRotationBackups;
        BackupFiles.ShiftAndRotate(_directory!, _name, keep);
        if (keep > 0)
        {
            Compress(BackupFiles.NumberedName(_name, 1, compressed: false), FindNumbered);
        }

        Open();
    }

    private void RotateByTime()
    {
        Close();
        var target = BackupFiles.PeriodName(_directory!, _name, _period);
        _directory!.Rename(_name, target);
        Compress(target, (directory, inode) => directory.Stat(target)?.Inode == inode ? target : null);
        BackupFiles.Prune(_directory, _name, _rotation!.Backups, _rotation.MaxAge, _time.GetUtcNow());
        Open();
    }

    /// <summary>Queues gzip of a rotated file, which is followed by inode: later rotations may rename or delete it.</summary>
    private void Compress(string rotated, Func<SafeDirectory, ulong, string?> locate)
    {
        if (!_rotation!.Compress)
        {
            return;
        }

        SafeFileHandle? source = null;
        try
        {
            source = _directory!.OpenForReading(rotated, _owners);
            var inode = SafeDirectory.StatFd((int)source.DangerousGetHandle())?.Inode ?? 0;
            _compressor.TryEnqueue(source, _directory.Duplicate(), (directory, temporary) =>
            {
                lock (_lock)
                {
                    if (locate(directory, inode) is { } current)
                    {
                        directory.Rename(temporary, current + ".gz");
                        directory.Delete(current);
                    }
                }
            }, _report);
        }
        catch (IOException e)
        {
            // Rotation itself succeeded; only this copy stays uncompressed.
            source?.Dispose();
            _report($"rotated log not compressed: {e.Message}");
        }
    }

    private string? FindNumbered(SafeDirectory directory, ulong inode) =>
        BackupFiles.Numbered(directory, _name).Where(b => !b.Compressed).Select(b => b.Name)
            .FirstOrDefault(name => directory.Stat(name)?.Inode == inode);

    public void Dispose()
    {
        lock (_lock)
        {
            CloseAll();
        }
    }
}
