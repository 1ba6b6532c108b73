using System.Net;

namespace ProcessMaster.Daemon.Http;

/// <summary>
/// Slows down password guessing. Every password check is counted before it runs (bcrypt takes tens of
/// milliseconds, so a parallel burst could otherwise pass the check all at once): a source address with
/// <see cref="MaxFailures"/> failed or pending checks within <see cref="Window"/> is refused (HTTP 429) until
/// the window has passed, and all sources together may fail at most <see cref="MaxGlobalFailures"/> times per
/// window (many addresses cannot multiply the guessing rate, nor the CPU spent on bcrypt). At most
/// <see cref="MaxTrackedSources"/> addresses are remembered; to make room only sources that are not blocked
/// are forgotten, so a flood of new addresses never frees a blocked one.
/// </summary>
internal sealed class LoginRateLimiter(TimeProvider time)
{
    public const int MaxFailures = 5;
    public const int MaxGlobalFailures = 100;
    public const int MaxTrackedSources = 4096;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly Lock _lock = new();
    private readonly Dictionary<IPAddress, Queue<DateTimeOffset>> _attempts = [];
    private readonly Queue<DateTimeOffset> _globalFailures = new();
    private int _pending;

    /// <summary>How long <paramref name="source"/> must wait, or null when it is not blocked.</summary>
    public TimeSpan? RetryAfter(IPAddress source)
    {
        lock (_lock)
        {
            return Blocked(source, time.GetUtcNow());
        }
    }

    /// <summary>
    /// Counts a password check that is about to run: null when it may, else how long to wait. Every begun
    /// check must end in <see cref="Succeeded"/> or <see cref="Failed"/>.
    /// </summary>
    public TimeSpan? TryBegin(IPAddress source)
    {
        lock (_lock)
        {
            var now = time.GetUtcNow();
            if (Blocked(source, now) is { } wait)
            {
                return wait;
            }

            Expire(_globalFailures, now);
            if (_globalFailures.Count + _pending >= MaxGlobalFailures)
            {
                return _globalFailures.TryPeek(out var oldest) ? oldest + Window - now : Window;
            }

            if (!_attempts.TryGetValue(source, out var attempts))
            {
                if (!MakeRoom(now))
                {
                    return Window;
                }

                attempts = new Queue<DateTimeOffset>();
                _attempts[source] = attempts;
            }

            attempts.Enqueue(now);
            _pending++;
            return null;
        }
    }

    /// <summary>The check passed: the source's count starts over.</summary>
    public void Succeeded(IPAddress source)
    {
        lock (_lock)
        {
            _pending--;
            _attempts.Remove(source);
        }
    }

    /// <summary>The check failed: it stays counted against the source, and now against every source's budget.</summary>
    public void Failed()
    {
        lock (_lock)
        {
            _pending--;
            _globalFailures.Enqueue(time.GetUtcNow());
        }
    }

    private TimeSpan? Blocked(IPAddress source, DateTimeOffset now)
    {
        if (!_attempts.TryGetValue(source, out var attempts))
        {
            return null;
        }

        Expire(attempts, now);
        return attempts.Count >= MaxFailures ? attempts.Peek() + Window - now : null;
    }

    /// <summary>Forgets sources whose attempts expired, then ones that are not blocked; false when every tracked source is blocked.</summary>
    private bool MakeRoom(DateTimeOffset now)
    {
        if (_attempts.Count < MaxTrackedSources)
        {
            return true;
        }

        foreach (var (address, attempts) in _attempts)
        {
            Expire(attempts, now);
            if (attempts.Count == 0)
            {
                _attempts.Remove(address);
            }
        }

        foreach (var (address, attempts) in _attempts)
        {
            if (_attempts.Count < MaxTrackedSources)
            {
                break;
            }

            if (attempts.Count < MaxFailures)
            {
                _attempts.Remove(address);
            }
        }

        return _attempts.Count < MaxTrackedSources;
    }

    private void Expire(Queue<DateTimeOffset> attempts, DateTimeOffset now)
    {
        while (attempts.TryPeek(out var oldest) && now - oldest > Window)
        {
            attempts.Dequeue();
        }
    }
}
