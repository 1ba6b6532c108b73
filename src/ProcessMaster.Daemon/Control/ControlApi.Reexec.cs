using ProcessMaster.Protocol;

namespace ProcessMaster.Daemon.Control;

internal sealed partial class ControlApi
{
    /// <summary>
    /// <c>daemon.reexec</c>: the caller hears whether the binary on disk agreed to take over; the swap
    /// itself follows once this reply is out (this image cannot answer after it). pmctl then waits for
    /// the next generation to answer.
    /// </summary>
    private async Task<ReexecResult> ReexecAsync(string actor)
    {
        var reexec = runtime.Reexec;
        if (manager.ShuttingDown)
        {
            throw new RpcException(RpcErrorCodes.Unavailable, "the daemon is shutting down");
        }

        if (await reexec.CheckAsync() is { } refusal)
        {
            throw new RpcException(RpcErrorCodes.OperationFailed, $"not re-executing: {refusal}");
        }

        _ = Task.Run(() => reexec.RunAsync($"daemon.reexec by {actor}"));
        return new ReexecResult($"re-executing: generation {reexec.Generation} hands over to {reexec.Generation + 1}", reexec.Generation);
    }
}
