namespace ProcessMaster.Core.Supervision;

/// <summary>The outcome of an operator command (start, stop, restart) once its effect was observed.</summary>
public sealed record OperationResult(bool Ok, string Message)
{
    public static OperationResult Success(string message) => new(true, message);

    public static OperationResult Failure(string message) => new(false, message);
}

/// <summary>Someone waiting for an operation's outcome; completes at most once.</summary>
public sealed class OperationWaiter
{
    private readonly TaskCompletionSource<OperationResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<OperationResult> Task => _completion.Task;

    public void Complete(OperationResult result) => _completion.TrySetResult(result);
}
