using ProcessMaster.Core.Files;

namespace ProcessMaster.Core.Logs;

/// <summary>
/// Hands out one shared <see cref="LogFile"/> per path, closed when its last writer lets go. What a file
/// reports is said of the service that first opened it (<c>report(app, message)</c>).
/// </summary>
public sealed class LogFileRegistry(TimeProvider time, Action<string, string> report)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, LogFile> _files = new(StringComparer.Ordinal);

    /// <summary>The shared file for <paramref name="path"/>; the first user's rotation settings and owners apply to every writer.</summary>
    public LogFile Acquire(string app, string path, RotationSettings rotation, FileOwners owners)
    {
        lock (_lock)
        {
            if (!_files.TryGetValue(path, out var file))
            {
                file = new LogFile(path, rotation, time, message => report(app, message), owners);
                _files[path] = file;
            }
            else
            {
                // A new run while the last one's output still drains: look the path up afresh, as a first
                // open would, since the service may have swapped its log directory or file meanwhile.
                file.Reopen();
            }

            file.References++;
            file.EnsureCreated();
            return file;
        }
    }

    /// <summary>The open file for <paramref name="path"/>, null while nothing writes to it.</summary>
    public LogFile? Find(string path)
    {
        lock (_lock)
        {
            return _files.GetValueOrDefault(path);
        }
    }

    public void Release(LogFile file)
    {
        lock (_lock)
        {
            if (--file.References == 0)
            {
                _files.Remove(file.Path);
                file.Dispose();
            }
        }
    }
}
