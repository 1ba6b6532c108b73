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
        if (cpus is { Length: > 0 } && cpus[^1] >= Environment.ProcessorCount)
        {
            process.ErrorAt("cpu_affinity", $"CPU {cpus[^1]} does not exist on this host (it has CPUs 0-{Environment.ProcessorCount - 1})");
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
