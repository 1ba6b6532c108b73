using System.Text;
using Microsoft.Win32.SafeHandles;
using ProcessMaster.Core.Files;
using ProcessMaster.Core.Interop;

namespace ProcessMaster.Core.Logs;

/// <summary>
/// Follows one log file as it grows, driven by inotify on its directory (no polling): new complete
/// lines are delivered as they are written; a file that is rotated (replaced) is read to its end through
/// the descriptor held on it, then the new one from its start; a truncated one is read again from its start. Partial lines are held until their newline arrives. The directory is held open and
/// the file reached through it by the capture rule (<see cref="SafeDirectory"/>): while the name is a
/// symlink, FIFO or anything but the service's regular file, nothing is read.
/// </summary>
public sealed class LogFollower : IDisposable
{
    private const int MaxLineBytes = 64 * 1024;

    private readonly SafeDirectory _directory;
    private readonly string _name;
    private readonly FileOwners _owners;
    private readonly Action<string, long> _onLine;
    private readonly Action _onRotated;
    private readonly Lock _lock = new();
    private readonly MemoryStream _partial = new();
    private readonly IDisposable _watch;
    private SafeFileHandle? _file;
    private ulong _inode;
    private long _offset;
    private bool _disposed;

    /// <param name="onLine">Each line, with the byte offset just past it.</param>
    /// <param name="from">Where to begin (a follow resumed after a re-exec); null: at the end. An offset past the
    /// end means the file was replaced or truncated meanwhile: it is read from its start.</param>
    /// <exception cref="IOException">The file's directory cannot be reached safely.</exception>
    public LogFollower(InotifyWatcher inotify, string path, FileOwners owners, Action<string, long> onLine, Action onRotated, long? from = null)
    {
        _directory = SafeDirectory.OpenParent(path, out _name);
        _owners = owners;
        _onLine = onLine;
        _onRotated = onRotated;
        var st = _directory.Stat(_name);
        _inode = st?.Inode ?? 0;
        var size = (long)(st?.Size ?? 0);
        _offset = from is { } at && at <= size ? at : from is null ? size : 0;
        StartOffset = _offset;
        if (from > size)
        {
            onRotated();
        }

        try
        {
            _watch = inotify.Watch(_directory.DescriptorPath, 0, (mask, name) =>
            {
                if (name == _name || (mask & InotifyWatcher.IN_Q_OVERFLOW) != 0)
                {
                    Poll();
                }
            });
        }
        catch
        {
            _directory.Dispose();
            throw;
        }

        Poll(); // anything written between measuring the size and watching
    }

    /// <summary>The offset following began at.</summary>
    public long StartOffset { get; }

    private void Poll()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            var st = _directory.Stat(_name);
            if (st is null || (st.Value.Mode & Libc.S_IFMT) != Libc.S_IFREG)
            {
                return; // gone for the moment (mid-rotation), or not a regular file: never read through a symlink
            }

            try
            {
                if (st.Value.Inode != _inode)
                {
                    // Rotated: what was written to the old file after the last read is still in it (renamed,
                    // not truncated), so drain it through the held descriptor before moving on.
                    ReadNew();
                    _file?.Dispose();
                    _file = null;
                    _inode = st.Value.Inode;
                    _offset = 0;
                    _partial.SetLength(0);
                    _onRotated();
                }
                else if ((long)st.Value.Size < _offset)
                {
                    _offset = 0; // truncated in place
                    _partial.SetLength(0);
                    _onRotated();
                }

                _file ??= _directory.OpenForReading(_name, _owners);
                ReadNew();
            }
            catch (IOException)
            {
                // Refused (replaced by something else between the check and the open) or unreadable: try at the next change.
                _file?.Dispose();
                _file = null;
            }
        }
    }

    /// <summary>Reads what the held file has beyond the offset.</summary>
    private void ReadNew()
    {
        if (_file is null)
        {
            return;
        }

        var buffer = new byte[64 * 1024];
        int n;
        while ((n = RandomAccess.Read(_file, buffer, _offset)) > 0)
        {
            var at = _offset;
            _offset += n;
            var start = 0;
            for (var i = 0; i < n; i++)
            {
                if (buffer[i] == (byte)'\n')
                {
                    _partial.Write(buffer, start, i - start);
                    Emit(at + i + 1);
                    start = i + 1;
                }
            }

            _partial.Write(buffer, start, n - start);
            if (_partial.Length > MaxLineBytes)
            {
                Emit(_offset); // a huge line without newline is delivered in pieces
            }
        }
    }

    private void Emit(long end)
    {
        _onLine(Encoding.UTF8.GetString(_partial.GetBuffer(), 0, (int)_partial.Length).TrimEnd('\r'), end);
        _partial.SetLength(0);
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        _watch.Dispose();
        lock (_lock)
        {
            _file?.Dispose();
        }

        _directory.Dispose();
    }
}
