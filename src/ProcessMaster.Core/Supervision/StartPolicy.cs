using ProcessMaster.Core.Configuration;

namespace ProcessMaster.Core.Supervision;

/// <summary>
/// The one place that decides which services a start that names none of them takes: boot, a reload's new
/// services, and an operator's <c>start all</c> / <c>restart all</c>. A cron job runs on its schedule, never
/// with the rest; a disabled service only when forced.
/// </summary>
public static class StartPolicy
{
    /// <summary>Started with the rest (boot, a reload's additions): every long-running service; a cron job is not.</summary>
    public static bool StartsWithTheRest(ServiceDefinition definition) => !definition.IsCron;

    /// <summary>
    /// What an operator's start or restart of <paramref name="targets"/> acts on: all of them when they were named,
    /// and for <c>all</c> the long-running ones that are enabled (or every long-running one when forced).
    /// </summary>
    public static List<ServiceSupervisor> OperatorStart(IEnumerable<ServiceSupervisor> targets, bool all, bool force) =>
        [.. targets.Where(s => !all || (StartsWithTheRest(s.Snapshot.Definition) && (force || s.Snapshot.Definition.Enabled)))];
}
