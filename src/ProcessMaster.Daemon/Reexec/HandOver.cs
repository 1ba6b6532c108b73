using ProcessMaster.Core.Processes;

namespace ProcessMaster.Daemon.Reexec;

/// <summary>
/// What the next image inherits, registered by each phase of start-up as it opens it: the lock and the control
/// socket when it listens, the notify socket, then the console's and the metrics' listeners once they serve.
/// A re-exec (only possible once boot is done) hands over what is registered then.
/// </summary>
internal sealed class HandOver(int controlFd, int lockFd, NotifySocket notify)
{
    private int? _web;
    private int? _metrics;

    /// <summary>The listeners that serve after boot (null: that listener is off).</summary>
    public void Serving(int? webFd, int? metricsFd) => (_web, _metrics) = (webFd, metricsFd);

    public InheritedDescriptors Descriptors() => new(controlFd, lockFd, _web, notify.Fd, _metrics, notify.LegacyFd);
}
