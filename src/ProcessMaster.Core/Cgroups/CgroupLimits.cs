using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Configuration.Values;

namespace ProcessMaster.Core.Cgroups;

/// <summary>Limits for one group; null means unlimited (the file is reset to its maximum).</summary>
/// <param name="SwapDefaulted">The swap limit is a default, not written: nothing is said where it cannot be enforced.</param>
public sealed record CgroupLimits(CpuMax Cpu, long? MemoryMax, long? SwapMax, long? PidsMax, int? IoWeight, EquatableArray<IoBandwidthLimit> IoBandwidth,
    bool SwapDefaulted = false)
{
    public static CgroupLimits From(ResourceSettings resources) =>
        new(resources.Cpu?.ToCpuMax() ?? CpuMax.Unlimited, resources.MemoryMax, resources.SwapMax, resources.PidsMax,
            resources.IoWeight, resources.IoBandwidth, resources.SwapDefaulted);

    public static CgroupLimits From(CgroupSettings master) =>
        new(master.CpuMax, master.MemoryMax, master.MemorySwapMax, master.PidsMax, null, EquatableArray<IoBandwidthLimit>.Empty);
}
