using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Configuration.Values;

namespace ProcessMaster.Core.Supervision;

/// <summary>What to do when a service ended by itself, and why.</summary>
public readonly record struct RestartVerdict(ServiceState Next, string Reason);

/// <summary>
/// The restart rule, pure: <c>never</c> ends in EXITED (clean exit) or FAILED; <c>always</c> restarts after
/// the fixed backoff unless more than <c>max_restarts</c> crashes fall within the tolerance window.
/// </summary>
public static class RestartDecision
{
    /// <param name="crashes">Monotonic times of earlier crashes; pruned and extended in place.</param>
    public static RestartVerdict Decide(RestartSettings settings, bool cleanExit, Queue<TimeSpan> crashes, TimeSpan now)
    {
        if (settings.Policy == RestartPolicy.Never)
        {
            return cleanExit
                ? new RestartVerdict(ServiceState.Exited, "exited cleanly; policy never")
                : new RestartVerdict(ServiceState.Failed, "exited with an error; policy never");
        }

        while (crashes.TryPeek(out var oldest) && now - oldest > settings.Window)
        {
            crashes.Dequeue();
        }

        crashes.Enqueue(now);
        return crashes.Count > settings.MaxRestarts
            ? new RestartVerdict(ServiceState.Failed,
                $"tolerance exceeded: {crashes.Count} ends within {DurationText.Format(settings.Window)} (max_restarts={settings.MaxRestarts})")
            : new RestartVerdict(ServiceState.Backoff,
                $"restarting in {DurationText.Format(settings.Backoff)} ({crashes.Count} of {settings.MaxRestarts} restarts used in the window)");
    }
}
