using System.Globalization;
using ProcessMaster.Core.Configuration;

namespace ProcessMaster.Core.Cgroups;

/// <summary>Limits for one group; null means unlimited (the file is reset to its maximum).</summary>
public sealed record CgroupLimits(long? CpuQuotaMicroseconds, long CpuPeriodMicroseconds, long? MemoryMax, long? SwapMax, long? PidsMax)
{
    public static CgroupLimits From(ResourceSettings resources) => new(
        resources.Cpu?.QuotaMicroseconds, Configuration.Values.CpuLimit.PeriodMicroseconds,
        resources.MemoryMax, resources.SwapMax, resources.PidsMax);

    public static CgroupLimits From(CgroupSettings master)
    {
        var parts = master.CpuMax.Split(' ');
        long? quota = parts[0] == "max" ? null : long.Parse(parts[0], CultureInfo.InvariantCulture);
        return new CgroupLimits(quota, long.Parse(parts[1], CultureInfo.InvariantCulture),
            master.MemoryMax, master.MemorySwapMax, master.PidsMax);
    }

    public string CpuMaxLine => $"{(CpuQuotaMicroseconds?.ToString(CultureInfo.InvariantCulture) ?? "max")} {CpuPeriodMicroseconds}";
}
