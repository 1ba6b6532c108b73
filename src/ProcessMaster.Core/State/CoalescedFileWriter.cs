using System.Buffers;

namespace ProcessMaster.Core.State;

/// <summary>
/// Group commit of one file: every change asked for while a write is in flight is saved by one following
/// write (temp file, optional fsync, rename), so `stop all` over hundreds of services costs a few writes
/// instead of one per service. <c>render</c> is called on the writer's thread and writes the whole file
/// into a buffer the writer reuses, so a write allocates next to nothing; once the daemon is quiet the
/// buffer goes (<see cref="ReleaseIdleBuffers"/>: the supervision records of 1000 services are a megabyte).
/// </summary>
/// <param name="durable">fsync each write (what must survive a host crash), or only rename it into place.</param>
/// <param name="spacing">
/// Least time between two writes: a crash loop changes state tens of times a second, and the file need not
/// follow each change. <see cref="FlushAsync"/> skips the wait.
/// </param>
public sealed class CoalescedFileWriter(string file, Action<IBufferWriter<byte>> render, bool durable = true, TimeSpan spacing = default)
{
    private static readonly Lock s_all = new();
    private static readonly List<WeakReference<CoalescedFileWriter>> s_writers = [];

    private readonly Lock _lock = new();
    private ArrayBufferWriter<byte>? _buffer;
    private bool _tracked;
    private TaskCompletionSource? _pending;
    private TaskCompletionSource? _hurry;
    private bool _urgent;
    private bool _writing;

    /// <summary>Schedules a write; completes once the file holds what <c>render</c> wrote after this call, or fails with why not.</summary>
    public Task SaveAsync() => Schedule(urgent: false);

    /// <summary>Lets go of the buffers of the writers that are not writing; the next write takes a new one.</summary>
    public static void ReleaseIdleBuffers()
    {
        lock (s_all)
        {
            s_writers.RemoveAll(w => !w.TryGetTarget(out _));
            foreach (var reference in s_writers)
            {
                if (reference.TryGetTarget(out var writer))
                {
                    lock (writer._lock)
                    {
                        if (!writer._writing)
                        {
                            writer._buffer = null;
                        }
                    }
                }
            }
        }
    }

    /// <summary>As <see cref="SaveAsync"/>, without waiting for the spacing after the previous write.</summary>
    public Task FlushAsync() => Schedule(urgent: true);

    private Task Schedule(bool urgent)
    {
        lock (_lock)
        {
            _pending ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (urgent)
            {
                _urgent = true;
                _hurry?.TrySetResult();
            }

            if (!_writing)
            {
                _writing = true;
                _ = Task.Run(WritePendingAsync);
            }

            return _pending.Task;
        }
    }

    private async Task WritePendingAsync()
    {
        while (true)
        {
            TaskCompletionSource save;
            ArrayBufferWriter<byte> buffer;
            lock (_lock)
            {
                if (_pending is null)
                {
                    _writing = false;
                    return;
                }

                save = _pending;
                _pending = null;
                _urgent = false;
                buffer = _buffer ??= new ArrayBufferWriter<byte>();
            }

            if (!_tracked)
            {
                _tracked = true;
                lock (s_all)
                {
                    s_writers.Add(new WeakReference<CoalescedFileWriter>(this));
                }
            }

            try
            {
                buffer.ResetWrittenCount();
                render(buffer);
                Configuration.ServiceCatalogLoader.WriteAtomically(file, buffer.WrittenSpan, durable: durable);
                save.SetResult();
            }
            catch (Exception e)
            {
                // Whoever waits for this save learns why it failed; the writer goes on with the next one.
                save.SetException(e);
            }

            await SpaceOutAsync();
        }
    }

    private async Task SpaceOutAsync()
    {
        if (spacing <= TimeSpan.Zero)
        {
            return;
        }

        TaskCompletionSource hurry;
        lock (_lock)
        {
            if (_urgent)
            {
                return;
            }

            hurry = _hurry = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        await Task.WhenAny(hurry.Task, Task.Delay(spacing));
        lock (_lock)
        {
            _hurry = null;
        }
    }
}
