using ProcessMaster.Protocol;

namespace ProcessMaster.Daemon.Control;

internal sealed partial class ControlApi
{
    /// <summary>
    /// Serves <c>daemon.reexec</c> with <paramref name="reexec"/>, which exists once the control socket's server does:
    /// the caller hears whether the binary on disk agreed to take over; the swap itself follows once this reply
    /// is out (this image cannot answer after it). pmctl then waits for the next generation to answer.
    /// </summary>
    public void RegisterReexec(RpcDispatcher dispatcher, Reexec.DaemonReexec reexec) =>
        dispatcher.Register(Methods.DaemonReexec, (_, session) => ReexecAsync(reexec, session.Actor));

    private async Task<ReexecResult> ReexecAsync(Reexec.DaemonReexec reexec, string actor)
    {
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
