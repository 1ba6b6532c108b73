namespace ProcessMaster.Core.Faults;

/// <summary>
/// Named places where a test can make a background component throw, to prove the daemon carries on:
/// <c>PROCESSMASTER_FAILPOINTS=log-compressor,supervisor</c> in the daemon's environment makes each named
/// point throw <see cref="InjectedFaultException"/> the first time it is reached. Unset (always, outside
/// tests), a point costs one read of a static field.
/// </summary>
public static class Failpoints
{
    public const string Variable = "PROCESSMASTER_FAILPOINTS";

    private static readonly HashSet<string>? Armed = Parse(Environment.GetEnvironmentVariable(Variable));

    /// <summary>Throws once if <paramref name="name"/> is armed.</summary>
    public static void Hit(string name)
    {
        if (Armed is null)
        {
            return;
        }

        bool fire;
        lock (Armed)
        {
            fire = Armed.Remove(name);
        }

        if (fire)
        {
            throw new InjectedFaultException(name);
        }
    }

    private static HashSet<string>? Parse(string? value) =>
        string.IsNullOrWhiteSpace(value) ? null : value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
}

/// <summary>Thrown by an armed <see cref="Failpoints"/> point.</summary>
public sealed class InjectedFaultException(string point) : Exception($"injected fault at {point}");
