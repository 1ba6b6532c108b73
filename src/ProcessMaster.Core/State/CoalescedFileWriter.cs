namespace ProcessMaster.Core.State;

/// <summary>
/// Group commit of one file: every change asked for while a write is in flight is saved by one following
/// write (temp file, fsync, rename), so `stop all` over hundreds of services costs a few writes instead of
/// one per service. <c>render</c> is called on the writer's thread and returns the whole file.
/// </summary>
/// <param name="durable">fsync each write (what must survive a host crash), or only rename it into place.</param>
public sealed class CoalescedFileWriter(string file, Func<string> render, bool durable = true)
{
    private readonly Lock _lock = new();
    private TaskCompletionSource? _pending;
    private bool _writing;

    /// <summary>Schedules a write; completes once the file holds what <c>render</c> returned after this call, or fails with why not.</summary>
    public Task SaveAsync()
    {
        lock (_lock)
        {
            _pending ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_writing)
            {
                _writing = true;
                _ = Task.Run(WritePending);
            }

            return _pending.Task;
        }
    }

    private void WritePending()
    {
        while (true)
        {
            TaskCompletionSource save;
            lock (_lock)
            {
                if (_pending is null)
                {
                    _writing = false;
                    return;
                }

                save = _pending;
                _pending = null;
            }

            try
            {
                Configuration.ServiceCatalogLoader.WriteAtomically(file, render(), durable: durable);
                save.SetResult();
            }
            catch (Exception e)
            {
                // Whoever waits for this save learns why it failed; the writer goes on with the next one.
                save.SetException(e);
            }
        }
    }
}
