namespace ProcessMaster.Core.Supervision;

/// <summary>The outcome of an operator command (start, stop, restart) once its effect was observed.</summary>
public sealed record OperationOutcome(bool Ok, string Message)
{
    public static OperationOutcome Success(string message) => new(true, message);

    public static OperationOutcome Failure(string message) => new(false, message);
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
