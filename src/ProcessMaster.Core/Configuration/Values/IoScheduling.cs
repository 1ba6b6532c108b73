using System.Globalization;
using System.Text.Json.Serialization;

namespace ProcessMaster.Core.Configuration.Values;

public enum IoSchedulingClass
{
    Realtime = 1,
    BestEffort = 2,
    Idle = 3,
}

/// <summary><c>process.io_scheduling</c>: <c>idle</c>, <c>best-effort:0-7</c> or <c>realtime:0-7</c> (0 is the highest priority), as ionice sets it.</summary>
public sealed record IoScheduling(IoSchedulingClass Class, int Level)
{
    public static IoScheduling Parse(string text)
    {
        var trimmed = text.Trim().ToLowerInvariant();
        var colon = trimmed.IndexOf(':');
        var name = colon < 0 ? trimmed : trimmed[..colon];
        var @class = name switch
        {
            "idle" => IoSchedulingClass.Idle,
            "best-effort" => IoSchedulingClass.BestEffort,
            "realtime" => IoSchedulingClass.Realtime,
            _ => throw new FormatException($"'{text}' is not an I/O scheduling class; use idle, best-effort:0-7 or realtime:0-7"),
        };
        if (@class == IoSchedulingClass.Idle)
        {
            return colon < 0 ? new IoScheduling(@class, 0) : throw new FormatException("idle takes no level");
        }

        if (colon < 0)
        {
            return new IoScheduling(@class, 4); // the kernel's default level
        }

        return int.TryParse(trimmed[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var level) && level is >= 0 and <= 7
            ? new IoScheduling(@class, level)
            : throw new FormatException($"'{text}': the level must be 0 (highest) to 7");
    }

    /// <summary>The value ioprio_set takes.</summary>
    [JsonIgnore]
    public int Priority => ((int)Class << 13) | Level;

    public override string ToString() => Class switch
    {
        IoSchedulingClass.Idle => "idle",
        IoSchedulingClass.BestEffort => $"best-effort:{Level}",
        _ => $"realtime:{Level}",
    };
}
