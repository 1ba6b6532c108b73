using System.Collections.Frozen;

namespace ProcessMaster.Daemon.Control;

/// <summary>
/// Requests and errors per RPC method, for /metrics. Only registered methods get a series of their own;
/// any other name a client sends counts as <c>other</c>, so a client cannot grow the label set.
/// </summary>
/// <param name="methods">The registered methods, read at the first request (every handler is registered by then).</param>
internal sealed class RpcCounters(Func<IEnumerable<string>> methods)
{
    public const string Other = "other";

    private sealed class Counter
    {
        public long Requests;
        public long Errors;
    }

    private readonly Lazy<FrozenDictionary<string, Counter>> _methods =
        new(() => methods().ToFrozenDictionary(m => m, _ => new Counter(), StringComparer.Ordinal));

    private readonly Counter _other = new();

    public void Record(string method, bool error)
    {
        var counter = _methods.Value.GetValueOrDefault(method) ?? _other;
        Interlocked.Increment(ref counter.Requests);
        if (error)
        {
            Interlocked.Increment(ref counter.Errors);
        }
    }

    /// <summary>Every counted method (and <c>other</c>) with its totals, by name.</summary>
    public IEnumerable<(string Method, long Requests, long Errors)> Totals() =>
        _methods.Value.OrderBy(m => m.Key, StringComparer.Ordinal)
            .Select(m => (m.Key, Interlocked.Read(ref m.Value.Requests), Interlocked.Read(ref m.Value.Errors)))
            .Append((Other, Interlocked.Read(ref _other.Requests), Interlocked.Read(ref _other.Errors)));
}
