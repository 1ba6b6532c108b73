using System.IO.Compression;
using System.Threading.Channels;

namespace ProcessMaster.Core.Logs;

/// <summary>
/// Compresses rotated log files with gzip, in-process (no external gzip), on one background thread so
/// a writer never waits for it. With a backlog, files are left uncompressed rather than letting work
/// pile up during a log flood.
/// </summary>
public sealed class LogCompressor
{
    public const int MaxBacklog = 16;

    private readonly Channel<Job> _jobs = Channel.CreateUnbounded<Job>(new UnboundedChannelOptions { SingleReader = true });
    private int _backlog;

    public static LogCompressor Shared { get; } = new();

    private LogCompressor()
    {
        var thread = new Thread(Run) { IsBackground = true, Name = "log-compressor" };
        thread.Start();
    }

    /// <summary>
    /// Queues <paramref name="source"/> (an open handle to the rotated file, which may be renamed meanwhile)
    /// for compression into a temporary file next to it; <paramref name="commit"/> then swaps it in. False when
    /// the backlog is full (the file stays as it is).
    /// </summary>
    public bool TryEnqueue(FileStream source, string directory, Action<string> commit, Action<string> report)
    {
        if (Interlocked.Increment(ref _backlog) > MaxBacklog)
        {
            Interlocked.Decrement(ref _backlog);
            source.Dispose();
            return false;
        }

        _jobs.Writer.TryWrite(new Job(source, directory, commit, report, null));
        return true;
    }

    /// <summary>Completes once every job queued before it is done.</summary>
    public Task DrainAsync()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Increment(ref _backlog);
        _jobs.Writer.TryWrite(new Job(null, "", _ => { }, _ => { }, done));
        return done.Task;
    }

    private void Run()
    {
        while (_jobs.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (_jobs.Reader.TryRead(out var job))
            {
                try
                {
                    if (job.Source is not null)
                    {
                        Compress(job);
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    job.Report($"compressing a rotated log failed: {e.Message} (it stays uncompressed)");
                }
                finally
                {
                    job.Source?.Dispose();
                    job.Drained?.TrySetResult();
                    Interlocked.Decrement(ref _backlog);
                }
            }
        }
    }

    private static void Compress(Job job)
    {
        var temporary = Path.Combine(job.Directory, $".compress-{Guid.NewGuid():N}.tmp");
        try
        {
            using (var output = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024))
            {
                File.SetUnixFileMode(temporary, (UnixFileMode)LogFile.FileMode);
                using var gzip = new GZipStream(output, CompressionLevel.Fastest);
                job.Source!.Position = 0;
                job.Source.CopyTo(gzip, 64 * 1024);
            }

            job.Commit(temporary);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private sealed record Job(FileStream? Source, string Directory, Action<string> Commit, Action<string> Report, TaskCompletionSource? Drained);
}
