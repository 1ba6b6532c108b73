using System.IO.Compression;
using System.Threading.Channels;
using Microsoft.Win32.SafeHandles;
using ProcessMaster.Core.Faults;
using ProcessMaster.Core.Files;

namespace ProcessMaster.Core.Logs;

/// <summary>
/// Compresses rotated log files with gzip, in-process (no external gzip), on one background thread so
/// a writer never waits for it. With a backlog, files are left uncompressed rather than letting work
/// pile up during a log flood. Works only through descriptors: the rotated file opened (and checked to be
/// a regular file) by the rotation, and its directory, where the compressed copy is created (O_EXCL)
/// and renamed into place. Whatever goes wrong with one file is reported and the thread carries on.
/// </summary>
public sealed class LogCompressor
{
    public const int MaxBacklog = 16;

    /// <summary>The compressor thread's read buffer, from the first rotation on: a log flood rotates a file a second.</summary>
    private byte[]? _buffer;
    private readonly Channel<Job> _jobs = Channel.CreateUnbounded<Job>(new UnboundedChannelOptions { SingleReader = true });
    private int _backlog;

    public static LogCompressor Shared { get; } = new();

    internal LogCompressor()
    {
        var thread = new Thread(Run) { IsBackground = true, Name = "log-compressor" };
        thread.Start();
    }

    /// <summary>
    /// Queues <paramref name="source"/> (the rotated file, which may be renamed meanwhile) for compression into a
    /// temporary file in <paramref name="directory"/>; <paramref name="commit"/> (directory, temporary name) then
    /// swaps it in. Takes ownership of both descriptors. False when the backlog is full (the file stays as it is).
    /// </summary>
    internal bool TryEnqueue(SafeFileHandle source, SafeDirectory directory, Action<SafeDirectory, string> commit, Action<string> report)
    {
        if (Interlocked.Increment(ref _backlog) > MaxBacklog)
        {
            Interlocked.Decrement(ref _backlog);
            source.Dispose();
            directory.Dispose();
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
        _jobs.Writer.TryWrite(new Job(null, null, (_, _) => { }, _ => { }, done));
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
                catch (Exception e)
                {
                    // Whatever a file turned out to be, it stays uncompressed and the next one is compressed.
                    Background.Report($"compressing a rotated log in {job.Directory?.Path} (it stays uncompressed)", e, job.Report);
                }
                finally
                {
                    job.Source?.Dispose();
                    job.Directory?.Dispose();
                    job.Drained?.TrySetResult();
                    Interlocked.Decrement(ref _backlog);
                }
            }
        }
    }

    private void Compress(Job job)
    {
        Failpoints.Hit("log-compressor");
        var directory = job.Directory!;
        var temporary = $".compress-{Guid.NewGuid():N}.tmp";
        try
        {
            // Unbuffered: the gzip stream hands over its output in chunks already.
            using (var output = new FileStream(directory.CreateNew(temporary, LogFile.FileMode), FileAccess.Write, bufferSize: 0))
            using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
            {
                var buffer = _buffer ??= new byte[64 * 1024];
                long offset = 0;
                int read;
                while ((read = RandomAccess.Read(job.Source!, buffer, offset)) > 0)
                {
                    gzip.Write(buffer, 0, read);
                    offset += read;
                }
            }

            job.Commit(directory, temporary);
        }
        finally
        {
            directory.Delete(temporary);
        }
    }

    private sealed record Job(SafeFileHandle? Source, SafeDirectory? Directory, Action<SafeDirectory, string> Commit, Action<string> Report, TaskCompletionSource? Drained);
}
