using System.Collections.Immutable;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Configuration.Values;
using ProcessMaster.Core.Interop;

namespace ProcessMaster.Core.Supervision;

/// <summary>How a run ended, as the restart policy sees it.</summary>
public enum EndKind
{
    /// <summary>An exit code in <c>success_exit_codes</c>, or killed by its own stop signal.</summary>
    Success,

    /// <summary>Its command could not be executed, or it ended within <c>min_uptime</c> of its start.</summary>
    FailedStart,

    /// <summary>Any other end: an exit code not in the list, another signal, a liveness failure.</summary>
    Unexpected,
}

/// <summary>How one run ended: what the restart policy decides on.</summary>
/// <param name="Exit">Its exit status; null when its command never ran.</param>
/// <param name="Uptime">From its start to its end; null when unknown (adopted from a daemon of an older build).</param>
/// <param name="Hung">Stopped because its liveness check failed (or the watchdog expired).</param>
public readonly record struct RunEnd(ExitStatus? Exit, bool ExecFailed, TimeSpan? Uptime, bool Hung)
{
    public EndKind Classify(RestartSettings settings, int stopSignal)
    {
        if (ExecFailed)
        {
            return EndKind.FailedStart;
        }

        if (Hung)
        {
            return EndKind.Unexpected; // however it exited once stopped
        }

        // Only a policy that restarts retries a failed start; with never, a quick clean exit is just that.
        return settings.Policy != RestartPolicy.Never && Uptime is { } up && up < settings.MinUptime ? EndKind.FailedStart
            : ExitedSuccessfully(settings, stopSignal) ? EndKind.Success
            : EndKind.Unexpected;
    }

    /// <summary>Its exit, however long it ran: a code in <c>success_exit_codes</c>, or its own stop signal.</summary>
    public bool ExitedSuccessfully(RestartSettings settings, int stopSignal) =>
        !ExecFailed && !Hung && Exit is { } exit && (exit.Code is { } code ? settings.SuccessExitCodes.Contains(code) : exit.Signal == stopSignal);
}

/// <summary>What to do when a service ended by itself, why, and the restart accounting to keep.</summary>
public readonly record struct RestartVerdict(ServiceState Next, string Reason, RestartAccounting Restarts);

/// <summary>
/// The restart rule, pure. <c>never</c> ends in EXITED (success) or FAILED. <c>on-failure</c> ends a success in
/// EXITED and restarts the rest; <c>always</c> restarts every end. Restarts come after the fixed backoff; failed
/// starts and unexpected ends are counted, and more than <c>max_restarts</c> of them within the tolerance window
/// mark the service FAILED (a success is never counted).
/// </summary>
public static class RestartDecision
{
    /// <param name="ended">How the end is described (<c>exit code 1</c>).</param>
    /// <param name="restarts">The accounting so far: earlier counted ends and failed starts in a row.</param>
    public static RestartVerdict Decide(RestartSettings settings, int stopSignal, RunEnd run, string ended, RestartAccounting restarts, TimeSpan now)
    {
        var end = run.Classify(settings, stopSignal);
        var inARow = end == EndKind.FailedStart ? restarts.FailedStarts + 1 : 0;
        var policy = settings.Policy.Name();
        switch (settings.Policy, end)
        {
            case (RestartPolicy.Never or RestartPolicy.OnFailure, EndKind.Success):
                return new(ServiceState.Exited, $"exited successfully ({ended}); policy {policy}", restarts with { FailedStarts = 0 });
            case (RestartPolicy.Never, _):
                return new(ServiceState.Failed, $"{Describe(run, end, ended, settings)}; policy {policy}", restarts with { FailedStarts = inARow });
            case (RestartPolicy.Always, EndKind.Success):
                return new(ServiceState.Backoff,
                    $"ended ({ended}); restarting in {DurationText.Format(settings.Backoff)} (a successful end is not counted)", restarts with { FailedStarts = 0 });
        }

        var recent = restarts.Crashes.Where(t => now - t <= settings.Window).Append(now).ToImmutableArray();
        var counted = restarts with { Crashes = recent, FailedStarts = inARow };
        if (recent.Length <= settings.MaxRestarts)
        {
            return new(ServiceState.Backoff,
                $"{Describe(run, end, ended, settings)}; restarting in {DurationText.Format(settings.Backoff)} ({recent.Length} of {settings.MaxRestarts} restarts used in the window)",
                counted);
        }

        var reason = (end, run.ExecFailed) switch
        {
            (EndKind.FailedStart, true) when inARow == recent.Length => $"could not be started {inARow} times in a row ({ended})",
            (EndKind.FailedStart, false) when inARow == recent.Length =>
                $"exited {inARow} times within {DurationText.Format(settings.MinUptime)} of start ({ended})",
            _ => $"tolerance exceeded: {recent.Length} failed starts or unexpected ends within {DurationText.Format(settings.Window)} (max_restarts={settings.MaxRestarts}; last: {ended})",
        };
        return new(ServiceState.Failed, reason, counted);
    }

    private static string Describe(RunEnd run, EndKind end, string ended, RestartSettings settings) =>
        run.ExecFailed ? ended
        : run.Hung ? $"hung ({ended})"
        : end == EndKind.FailedStart ? $"ended within {DurationText.Format(settings.MinUptime)} of start ({ended})"
        : $"ended ({ended})";
}
