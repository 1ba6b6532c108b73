using ProcessMaster.Core.Interop;

namespace ProcessMaster.Core.Cgroups;

/// <summary>
/// Kills every process of a cgroup2 subtree so that none escapes by forking: <c>cgroup.kill</c> where the
/// kernel has it (5.14); before that the group is frozen (<c>cgroup.freeze</c>, 5.2, else the v1 freezer),
/// each process gets SIGKILL while it cannot fork, and the group is thawed so they die; with no freezer at
/// all each process gets SIGKILL round after round until a round finds the group empty.
/// </summary>
public static class GroupKiller
{
    /// <summary>Rounds of the freezer-less fallback, a millisecond apart: a fork loop is outrun long before.</summary>
    private const int SignalRounds = 500;

    /// <summary>How long a freeze may take to settle before the kill goes ahead anyway (a process stuck in the kernel).</summary>
    private static readonly TimeSpan FreezeWait = TimeSpan.FromMilliseconds(100);

    public static void Kill(CgroupLayout layout, string group, string? v1FreezerGroup)
    {
        if (!Directory.Exists(group))
        {
            return;
        }

        var features = layout.Features;
        if (features.Has(KernelFeature.CgroupKill))
        {
            CgroupFs.Write(Path.Combine(group, "cgroup.kill"), "1");
            return;
        }

        if (features.Has(KernelFeature.CgroupFreeze) || v1FreezerGroup is not null)
        {
            SetFrozen(features, group, v1FreezerGroup, frozen: true);
            try
            {
                GroupSignals.Send(layout, group, CgroupFs.ReadPidsRecursive(group), Signals.Kill);
            }
            finally
            {
                SetFrozen(features, group, v1FreezerGroup, frozen: false);
            }

            return;
        }

        for (var round = 0; round < SignalRounds; round++)
        {
            var pids = CgroupFs.ReadPidsRecursive(group);
            if (pids.Count == 0)
            {
                return;
            }

            GroupSignals.Send(layout, group, pids, Signals.Kill);
            Thread.Sleep(1);
        }
    }

    /// <summary>Lifts a freeze a kill may have left (a daemon that died in the middle of one), before the group is used again.</summary>
    public static void Thaw(CgroupLayout layout, string group, string? v1FreezerGroup)
    {
        if (!layout.Features.Has(KernelFeature.CgroupKill))
        {
            SetFrozen(layout.Features, group, v1FreezerGroup, frozen: false);
        }
    }

    private static void SetFrozen(KernelFeatures features, string group, string? v1FreezerGroup, bool frozen)
    {
        // Freezing completes asynchronously: cgroup.events says "frozen 1", freezer.state "FROZEN" (not FREEZING).
        string file, value, state, settled;
        if (features.Has(KernelFeature.CgroupFreeze))
        {
            (file, value, state, settled) = (Path.Combine(group, "cgroup.freeze"), frozen ? "1" : "0", Path.Combine(group, "cgroup.events"), "frozen 1");
        }
        else if (v1FreezerGroup is not null)
        {
            file = state = Path.Combine(v1FreezerGroup, "freezer.state");
            (value, settled) = (frozen ? "FROZEN" : "THAWED", "FROZEN");
        }
        else
        {
            return;
        }

        if (!CgroupFs.TryWrite(file, value, out _) || !frozen)
        {
            return;
        }

        var deadline = Environment.TickCount64 + (long)FreezeWait.TotalMilliseconds;
        while (CgroupFs.Read(state)?.Contains(settled, StringComparison.Ordinal) is false && Environment.TickCount64 < deadline)
        {
            Thread.Sleep(1);
        }
    }
}
