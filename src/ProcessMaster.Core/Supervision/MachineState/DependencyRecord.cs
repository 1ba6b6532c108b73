using System.Collections.Immutable;

namespace ProcessMaster.Core.Supervision;

/// <summary>What the service knows of its dependencies (the manager tells it) and how long it has waited for them.</summary>
public sealed record DependencyRecord
{
    /// <summary>The last status heard of each dependency.</summary>
    public ImmutableDictionary<string, DependencyStatus> Known { get; init; } = ImmutableDictionary<string, DependencyStatus>.Empty;

    /// <summary>When it began to wait for its dependencies (monotonic), for their timeouts.</summary>
    public TimeSpan? WaitingSince { get; init; }

    /// <summary>How the start that waits is named.</summary>
    public StartReason WaitingAs { get; init; }

    /// <summary>The next start goes ahead whatever its dependencies (<c>--no-deps</c>).</summary>
    public bool IgnoredByNextStart { get; init; }

    /// <summary>A start began: it waits no longer, and a later one heeds its dependencies again.</summary>
    public DependencyRecord Started() => this with { WaitingSince = null, IgnoredByNextStart = false };
}
