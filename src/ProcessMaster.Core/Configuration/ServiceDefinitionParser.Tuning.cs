using ProcessMaster.Core.Configuration.Values;
using ProcessMaster.Core.Configuration.Yaml;
using YamlDotNet.RepresentationModel;

namespace ProcessMaster.Core.Configuration;

/// <summary>What the shim sets on the process before the exec: umask, limits, nice, I/O class, CPUs, OOM score.</summary>
public static partial class ServiceDefinitionParser
{
    private static ProcessSettings Tune(YamlMap process, ProcessSettings settings)
    {
        var umask = process.Parse("umask", OctalMode.Parse);
        if (umask > 0x1FF)
        {
            process.ErrorAt("umask", "a umask is at most 0777");
        }

        var cpus = process.ParseObject("cpu_affinity", CpuList.Parse);
        if (cpus is { Length: > 0 } && cpus.FirstOrDefault(cpu => !OnlineCpus.Value.Contains(cpu), -1) is var missing and >= 0)
        {
            process.ErrorAt("cpu_affinity", $"CPU {missing} is not online on this host (it has CPUs {CpuList.Format(OnlineCpus.Value)})");
        }

        return settings with
        {
            Umask = umask,
            Limits = ParseLimits(process),
            Nice = (int?)process.Integer("nice", -20, 19),
            IoScheduling = process.ParseObject("io_scheduling", IoScheduling.Parse),
            CpuAffinity = cpus is null ? EquatableArray<int>.Empty : new(cpus),
            OomScoreAdjust = (int?)process.Integer("oom_score_adjust", -1000, 1000),
        };
    }

    /// <summary>
    /// The host's CPUs, as the kernel lists them: not <see cref="Environment.ProcessorCount"/>, which counts only
    /// what the daemon itself may use (its affinity, its cgroup's quota).
    /// </summary>
    private static readonly Lazy<int[]> OnlineCpus = new(() =>
    {
        try
        {
            return CpuList.Parse(File.ReadAllText("/sys/devices/system/cpu/online").Trim());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return [.. Enumerable.Range(0, Environment.ProcessorCount)];
        }
    });

    private static EquatableArray<ProcessLimit> ParseLimits(YamlMap process)
    {
        var map = process.Map("limits");
        if (map is null)
        {
            return EquatableArray<ProcessLimit>.Empty;
        }

        var limits = new List<ProcessLimit>();
        foreach (var kind in ProcessLimit.Kinds)
        {
            var key = ProcessLimit.KeyOf(kind);
            var node = map.Node(key);
            if (node is null || map.IsNull(key))
            {
                continue;
            }

            ulong? soft, hard;
            if (node is YamlMappingNode)
            {
                var pair = map.Map(key)!;
                soft = pair.Parse("soft", t => ProcessLimit.ParseValue(t, kind));
                hard = pair.Parse("hard", t => ProcessLimit.ParseValue(t, kind));
                if (!pair.Has("soft") || !pair.Has("hard"))
                {
                    pair.Error("set both soft and hard (or give one value for both)");
                }

                pair.Finish();
                if (soft > hard)
                {
                    pair.ErrorAt("soft", "the soft limit must not be above the hard limit");
                }
            }
            else
            {
                soft = hard = map.Parse(key, t => ProcessLimit.ParseValue(t, kind));
            }

            if (soft is { } s && hard is { } h && s <= h)
            {
                limits.Add(new ProcessLimit(kind, s, h));
            }
        }

        map.Finish();
        return new EquatableArray<ProcessLimit>(limits);
    }
}
