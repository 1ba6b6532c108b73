using System.Collections.Immutable;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Configuration.Values;

namespace ProcessMaster.Core.Supervision;

/// <summary>What to do when a service ended by itself, why, and the crash history to keep.</summary>
public readonly record struct RestartVerdict(ServiceState Next, string Reason, ImmutableArray<TimeSpan> Crashes);

/// <summary>
/// The restart rule, pure: <c>never</c> ends in EXITED (clean exit) or FAILED; <c>always</c> restarts after
/// the fixed backoff unless more than <c>max_restarts</c> crashes fall within the tolerance window.
/// </summary>
public static class RestartDecision
{
    /// <param name="crashes">Monotonic times of earlier crashes, oldest first.</param>
    public static RestartVerdict Decide(RestartSettings settings, bool cleanExit, ImmutableArray<TimeSpan> crashes, TimeSpan now)
    {
        if (settings.Policy == RestartPolicy.Never)
        {
            return cleanExit
                ? new RestartVerdict(ServiceState.Exited, "exited cleanly; policy never", crashes)
                : new RestartVerdict(ServiceState.Failed, "exited with an error; policy never", crashes);
        }

        var recent = crashes.Where(t => now - t <= settings.Window).Append(now).ToImmutableArray();
        return recent.Length > settings.MaxRestarts
            ? new RestartVerdict(ServiceState.Failed,
                $"tolerance exceeded: {recent.Length} ends within {DurationText.Format(settings.Window)} (max_restarts={settings.MaxRestarts})", recent)
            : new RestartVerdict(ServiceState.Backoff,
                $"restarting in {DurationText.Format(settings.Backoff)} ({recent.Length} of {settings.MaxRestarts} restarts used in the window)", recent);
    }
}
