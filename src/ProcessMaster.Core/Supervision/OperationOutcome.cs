namespace ProcessMaster.Core.Supervision;

/// <summary>What became of an operator's command on one service; its name on the wire is snake_case.</summary>
public enum OutcomeCode
{
    /// <summary>Done: started, stopped, restarted.</summary>
    Ok,

    AlreadyRunning,
    AlreadyStopped,

    /// <summary>Not started, and rightly so: stopped by an operator (for a start that is not one), or disabled (for boot and reload).</summary>
    Skipped,

    /// <summary>Accepted: it starts once its dependencies meet their conditions.</summary>
    Waiting,

    /// <summary>Accepted: the restart policy's start is due anyway.</summary>
    Pending,

    /// <summary>Not done, because of what the service is: disabled (without <c>--force</c>), or processes of its last run remain.</summary>
    Refused,

    /// <summary>Not done: a stop (or its removal) came first.</summary>
    Cancelled,

    /// <summary>Tried, and it did not work: the start failed, the stop could not empty the cgroup, a dependency failed.</summary>
    Failed,
}

/// <summary>The outcome of an operator command (start, stop, restart) once its effect was observed.</summary>
public sealed record OperationOutcome(OutcomeCode Code, string Message)
{
    public bool Ok => Code is OutcomeCode.Ok or OutcomeCode.AlreadyRunning or OutcomeCode.AlreadyStopped or OutcomeCode.Skipped
        or OutcomeCode.Waiting or OutcomeCode.Pending;

    public static OperationOutcome Success(string message, OutcomeCode code = OutcomeCode.Ok) => new(code, message);

    public static OperationOutcome Failure(string message, OutcomeCode code = OutcomeCode.Failed) => new(code, message);

    /// <summary>The code's name on the wire (<c>already_running</c>).</summary>
    public string CodeName => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(Code.ToString());
}

/// <summary>Someone waiting for the answer to a message; answered at most once.</summary>
public class Reply<T>
{
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<T> Task => _completion.Task;

    public void Complete(T result) => _completion.TrySetResult(result);
}

/// <summary>Someone waiting for an operation's outcome.</summary>
public sealed class OperationWaiter : Reply<OperationOutcome>;
