using System.Text;
using ProcessMaster.Core.Interop;

namespace ProcessMaster.Core.Logs;

/// <summary>
/// Follows one log file as it grows, driven by inotify on its directory (no polling): new complete
/// lines are delivered as they are written; a file that is rotated (replaced) or truncated is read again
/// from its start. Partial lines are held until their newline arrives.
/// </summary>
public sealed class LogFollower : IDisposable
{
    private const int MaxLineBytes = 64 * 1024;

    private readonly string _path;
    private readonly string _name;
    private readonly Action<string> _onLine;
    private readonly Action _onRotated;
    private readonly Lock _lock = new();
    private readonly MemoryStream _partial = new();
    private readonly IDisposable _watch;
    private ulong _inode;
    private long _offset;
    private bool _disposed;

    public LogFollower(InotifyWatcher inotify, string path, Action<string> onLine, Action onRotated)
    {
        _path = path;
        _name = Path.GetFileName(path);
        _onLine = onLine;
        _onRotated = onRotated;
        var st = PosixFile.LStat(path);
        _inode = st?.Inode ?? 0;
        _offset = (long)(st?.Size ?? 0);
        _watch = inotify.Watch(Path.GetDirectoryName(path)!, 0, (_, name) =>
        {
            if (name == _name)
            {
                Poll();
            }
        });
        Poll(); // anything written between measuring the size and watching
    }

    private void Poll()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            var st = PosixFile.LStat(_path);
            if (st is null || (st.Value.Mode & Libc.S_IFMT) != Libc.S_IFREG)
            {
                return; // gone for the moment (mid-rotation), or not a regular file: never read through a symlink
            }

            if (st.Value.Inode != _inode || (long)st.Value.Size < _offset)
            {
                _inode = st.Value.Inode;
                _offset = 0;
                _partial.SetLength(0);
                _onRotated();
            }

            ReadNew();
        }
    }

    private void ReadNew()
    {
        using var file = PosixFile.OpenForReading(_path, out _);
        if (file is null || !PosixFile.IsRegularFile(file))
        {
            return;
        }

        var buffer = new byte[64 * 1024];
        int n;
        while ((n = RandomAccess.Read(file, buffer, _offset)) > 0)
        {
            _offset += n;
            var start = 0;
            for (var i = 0; i < n; i++)
            {
                if (buffer[i] == (byte)'\n')
                {
                    _partial.Write(buffer, start, i - start);
                    Emit();
                    start = i + 1;
                }
            }

            _partial.Write(buffer, start, n - start);
            if (_partial.Length > MaxLineBytes)
            {
                Emit(); // a huge line without newline is delivered in pieces
            }
        }
    }

    private void Emit()
    {
        _onLine(Encoding.UTF8.GetString(_partial.GetBuffer(), 0, (int)_partial.Length).TrimEnd('\r'));
        _partial.SetLength(0);
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
        }

        _watch.Dispose();
    }
}
