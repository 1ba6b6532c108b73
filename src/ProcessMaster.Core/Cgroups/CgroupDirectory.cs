using ProcessMaster.Core.Interop;

namespace ProcessMaster.Core.Cgroups;

/// <summary>
/// A cgroup directory held open (O_PATH) so its control files are opened relative to it. Status opens
/// several files of every service each time, and resolving their full cgroupfs paths was most of its
/// cost. When the group is removed (and perhaps created again) the handle is renewed on the next open.
/// </summary>
public sealed class CgroupDirectory(string path) : IDisposable
{
    private readonly Lock _lock = new();
    private int _fd = -1;
    private bool _disposed;

    public string Path { get; } = path;

    /// <summary>Opens <paramref name="file"/> (relative to the group) read-only; -1 when it cannot be opened.</summary>
    public int OpenRead(string file)
    {
        const int flags = Libc.O_RDONLY | Libc.O_CLOEXEC;
        lock (_lock)
        {
            if (_disposed)
            {
                return Libc.Open(System.IO.Path.Combine(Path, file), flags, 0);
            }

            if (_fd >= 0)
            {
                var fd = Libc.OpenAt(_fd, file, flags, 0);
                if (fd >= 0)
                {
                    return fd;
                }

                Libc.Close(_fd); // the group may be gone or a new one in its place: look it up again
            }

            _fd = Libc.Open(Path, Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
            return _fd < 0 ? -1 : Libc.OpenAt(_fd, file, flags, 0);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            if (_fd >= 0)
            {
                Libc.Close(_fd);
                _fd = -1;
            }
        }
    }
}
