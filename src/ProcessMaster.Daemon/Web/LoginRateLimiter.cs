using System.Net;

namespace ProcessMaster.Daemon.Web;

/// <summary>
/// Slows down password guessing: a source address with more than <see cref="MaxFailures"/> failed logins
/// within <see cref="Window"/> is refused (HTTP 429) until the window has passed.
/// </summary>
internal sealed class LoginRateLimiter(TimeProvider time)
{
    public const int MaxFailures = 5;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private const int MaxTrackedSources = 4096;

    private readonly Lock _lock = new();
    private readonly Dictionary<IPAddress, Queue<DateTimeOffset>> _failures = [];

    /// <summary>How long <paramref name="source"/> must wait, or null when it may try.</summary>
    public TimeSpan? RetryAfter(IPAddress source)
    {
        lock (_lock)
        {
            if (!_failures.TryGetValue(source, out var failures))
            {
                return null;
            }

            Expire(failures);
            return failures.Count >= MaxFailures ? failures.Peek() + Window - time.GetUtcNow() : null;
        }
    }

    public void RecordFailure(IPAddress source)
    {
        lock (_lock)
        {
            if (_failures.Count >= MaxTrackedSources)
            {
                _failures.Clear(); // bounded memory under a spray from many addresses
            }

            if (!_failures.TryGetValue(source, out var failures))
            {
                failures = new Queue<DateTimeOffset>();
                _failures[source] = failures;
            }

            Expire(failures);
            failures.Enqueue(time.GetUtcNow());
        }
    }

    public void RecordSuccess(IPAddress source)
    {
        lock (_lock)
        {
            _failures.Remove(source);
        }
    }

    private void Expire(Queue<DateTimeOffset> failures)
    {
        var now = time.GetUtcNow();
        while (failures.TryPeek(out var oldest) && now - oldest > Window)
        {
            failures.Dequeue();
        }
    }
}
