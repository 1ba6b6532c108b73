namespace ProcessMaster.IntegrationTests.Support;

/// <summary>
/// A test against the real binaries, with a time limit of its own: one that hangs fails after
/// <see cref="Limit"/> (naming itself) instead of holding the suite until the CI limit.
/// </summary>
public sealed class SystemFactAttribute : FactAttribute
{
    /// <summary>Generous for a loaded 2-core machine: the slowest test takes about a minute there.</summary>
    public const int Limit = 300_000;

    public SystemFactAttribute() => Timeout = Limit;
}

/// <summary>A <see cref="SystemFactAttribute"/> with data.</summary>
public sealed class SystemTheoryAttribute : TheoryAttribute
{
    public SystemTheoryAttribute() => Timeout = SystemFactAttribute.Limit;
}
