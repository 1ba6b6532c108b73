using ProcessMaster.Core.Interop;

namespace ProcessMaster.Core.Cgroups;

/// <summary>Signals processes of a group, each checked to be in it, so a pid reused by another process is not signalled.</summary>
public static class GroupSignals
{
    /// <summary>
    /// Sends <paramref name="signal"/> to each of <paramref name="pids"/> still in <paramref name="group"/>;
    /// returns how many got it. Through a pidfd where the kernel has them (the check and the signal then
    /// name one process); on older kernels by pid, right after the check.
    /// </summary>
    public static int Send(CgroupLayout layout, string group, IEnumerable<int> pids, int signal)
    {
        var pidfds = layout.Features.Has(KernelFeature.Pidfd);
        var sent = 0;
        foreach (var pid in pids)
        {
            var pidfd = pidfds ? Linux.PidfdOpen(pid) : -1;
            if (pidfds && pidfd < 0)
            {
                continue; // already gone
            }

            try
            {
                if (CgroupFs.PidIsInGroup(pid, layout.V2Root, group) &&
                    (pidfds ? Linux.PidfdSendSignal(pidfd, signal) : Libc.Kill(pid, signal)) == 0)
                {
                    sent++;
                }
            }
            finally
            {
                if (pidfd >= 0)
                {
                    Libc.Close(pidfd);
                }
            }
        }

        return sent;
    }
}
