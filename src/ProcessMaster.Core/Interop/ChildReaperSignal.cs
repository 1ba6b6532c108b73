namespace ProcessMaster.Core.Interop;

public sealed partial class ChildReaper
{
    /// <summary>
    /// Signals <paramref name="pid"/> only while it is an unreaped child of ours, checked on the loop
    /// thread that does the reaping, so the pid cannot have been reused by another process.
    /// </summary>
    public void SignalIfAlive(int pid, int signal) => _loop.Post(() =>
    {
        if (_waiters.ContainsKey(pid))
        {
            Libc.Kill(pid, signal);
        }
    });
}
