namespace ProcessMaster.Core.Processes;

/// <summary>Stands for something created later: disposing it disposes that, now or once it is set.</summary>
internal sealed class LateDisposable : IDisposable
{
    private readonly Lock _lock = new();
    private IDisposable? _inner;
    private bool _disposed;

    public void Set(IDisposable inner)
    {
        lock (_lock)
        {
            if (!_disposed)
            {
                _inner = inner;
                return;
            }
        }

        inner.Dispose();
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
        }

        _inner?.Dispose();
    }
}
