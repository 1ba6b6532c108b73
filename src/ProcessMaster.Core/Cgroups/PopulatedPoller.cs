namespace ProcessMaster.Core.Cgroups;

/// <summary>
/// Where the kernel has no <c>cgroup.events</c> to watch: looks whether the group holds a process every
/// <see cref="Interval"/> and reports each change (the first look included).
/// </summary>
public sealed class PopulatedPoller : IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    private readonly Lock _lock = new();
    private readonly Func<bool> _populated;
    private readonly Action<bool> _onChange;
    private readonly Timer _timer;
    private bool? _last;

    public PopulatedPoller(Func<bool> populated, Action<bool> onChange)
    {
        _populated = populated;
        _onChange = onChange;
        _timer = new Timer(_ => Look(), null, Interval, Interval);
    }

    private void Look()
    {
        lock (_lock)
        {
            bool now;
            try
            {
                now = _populated();
            }
            catch (IOException)
            {
                return; // the group is being removed: the next look says how it ended
            }

            if (_last == now)
            {
                return;
            }

            _last = now;
            _onChange(now);
        }
    }

    public void Dispose() => _timer.Dispose();
}
