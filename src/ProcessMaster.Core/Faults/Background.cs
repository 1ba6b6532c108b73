namespace ProcessMaster.Core.Faults;

/// <summary>
/// Work that runs apart from any caller (signal handlers, timers, fire-and-forget tasks): a failure there
/// would otherwise end the process (timer and signal callbacks) or vanish unseen (tasks). Here it is
/// reported, and the caller's loop goes on.
/// </summary>
public static class Background
{
    /// <summary>Runs <paramref name="work"/>; an exception is reported instead of thrown.</summary>
    public static void Run(string what, Action work, Action<string> report)
    {
        try
        {
            work();
        }
        catch (Exception e)
        {
            Report(what, e, report);
        }
    }

    /// <summary>Starts <paramref name="work"/> and reports its failure, if it fails.</summary>
    public static void Forget(string what, Func<Task> work, Action<string> report) => _ = ForgetAsync(what, work, report);

    private static async Task ForgetAsync(string what, Func<Task> work, Action<string> report)
    {
        try
        {
            await work();
        }
        catch (Exception e)
        {
            Report(what, e, report);
        }
    }

    /// <summary>Reports a failure; a failing report is swallowed, since there is nobody left to tell.</summary>
    public static void Report(string what, Exception e, Action<string> report)
    {
        try
        {
            report($"{what} failed: {e.GetType().Name}: {e.Message} (carrying on)");
        }
        catch (Exception)
        {
            // Reporting must never be what ends the daemon.
        }
    }
}
