namespace ProcessMaster.Daemon.Control;

/// <summary>
/// Reads whose replies can be megabytes (<c>logs</c>, <c>events</c> and their follows' history): at most
/// <see cref="Concurrent"/> are built and sent at a time, daemon-wide, each holding its permit until its
/// reply went out, so however many clients ask at once the daemon's memory does not multiply. A batch
/// holds one permit for all its calls.
/// </summary>
internal sealed class BulkReads
{
    public const int Concurrent = 2;

    private readonly SemaphoreSlim _permits = new(Concurrent);

    public async Task EnterAsync(RpcSession session)
    {
        if (session.HoldsBulkPermit)
        {
            return;
        }

        await _permits.WaitAsync(session.Closed);
        session.HoldsBulkPermit = true;
        session.AfterResponse(() =>
        {
            session.HoldsBulkPermit = false;
            _permits.Release();
        });
    }
}
