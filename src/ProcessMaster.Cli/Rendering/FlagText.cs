using ProcessMaster.Protocol;

namespace ProcessMaster.Cli.Rendering;

/// <summary>Flags as pmctl shows them: <c>maintenance (1h59m left), ticket-4711</c>.</summary>
internal static class FlagText
{
    public static string Render(IEnumerable<ServiceFlag> flags, DateTimeOffset now) =>
        string.Join(", ", flags.Select(f => f.ExpiresAt is { } at ? $"{f.Name} ({Units.Uptime(Math.Max(0, (at - now).TotalSeconds))} left)" : f.Name));
}
