using System.Globalization;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Configuration.Values;

namespace ProcessMaster.Core.Processes;

/// <summary>
/// What processmaster-exec sets on the process between joining the cgroup and dropping privileges
/// (raising a hard limit, a negative nice, a realtime I/O class and a lower OOM score need root).
/// </summary>
public sealed record ExecTuning(int? Umask, EquatableArray<ProcessLimit> Limits, int? Nice, IoScheduling? Io, EquatableArray<int> Cpus, int? OomScoreAdjust)
{
    public static ExecTuning None { get; } = new(null, EquatableArray<ProcessLimit>.Empty, null, null, EquatableArray<int>.Empty, null);

    public static ExecTuning From(ProcessSettings process) =>
        new(process.Umask, process.Limits, process.Nice, process.IoScheduling, process.CpuAffinity, process.OomScoreAdjust);

    /// <summary>The shim's options for it.</summary>
    public IEnumerable<string> ShimArguments()
    {
        if (Umask is { } umask)
        {
            yield return "--umask";
            yield return Convert.ToString(umask, 8);
        }

        foreach (var limit in Limits)
        {
            yield return "--rlimit";
            yield return limit.ShimArgument;
        }

        if (Nice is { } nice)
        {
            yield return "--nice";
            yield return nice.ToString(CultureInfo.InvariantCulture);
        }

        if (Io is { } io)
        {
            yield return "--ioprio";
            yield return io.Priority.ToString(CultureInfo.InvariantCulture);
        }

        if (Cpus.Count > 0)
        {
            yield return "--cpus";
            yield return CpuList.Format(Cpus);
        }

        if (OomScoreAdjust is { } oom)
        {
            yield return "--oom-score-adj";
            yield return oom.ToString(CultureInfo.InvariantCulture);
        }
    }
}
