using System.Text;
using ProcessMaster.Core.Events;
using ProcessMaster.Core.Files;
using ProcessMaster.Core.Logs;

namespace ProcessMaster.Daemon.Logging;

/// <summary>
/// The daemon's own log: every line goes to stderr and to <c>logs/processmaster.log</c> under the daemon's
/// working directory, rotated by size with gzip-compressed backups.
/// </summary>
internal sealed class DaemonLog(string file) : IDisposable
{
    public const long RotationBytes = 10 * 1024 * 1024;
    public const int Backups = 10;

    private readonly Lock _lock = new();
    private readonly LogFile _file = new(file, RotationSettings.BySize(RotationBytes, Backups, compress: true), TimeProvider.System,
        message => Console.Error.WriteLine($"processmaster: {message}"), FileOwners.RootOnly);

    public string Path => file;

    public void Write(string component, string? app, string message) =>
        Write($"{DateTimeOffset.Now:yyyy-MM-dd HH:mm:ss.fff} [{component}] {(app is null ? "" : $"app={app} ")}{message}");

    public void Write(EventEntry entry) => Write(entry.Format());

    public void Write(string line)
    {
        lock (_lock)
        {
            Console.Error.WriteLine(line);
            _file.Append(Encoding.UTF8.GetBytes(line + "\n"));
        }
    }

    public void Dispose() => _file.Dispose();
}
