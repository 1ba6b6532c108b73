using System.Globalization;
using System.Text.Json.Serialization;

namespace ProcessMaster.Core.Configuration.Values;

/// <summary>A resource limit of <c>process.limits</c>, named as in the service file.</summary>
public enum ProcessLimitKind
{
    OpenFiles,
    Processes,
    CoreSize,
    LockedMemory,
    StackSize,
}

/// <summary>One <c>setrlimit</c> the shim makes before the exec; <see cref="Unlimited"/> is RLIM_INFINITY.</summary>
public sealed record ProcessLimit(ProcessLimitKind Kind, ulong Soft, ulong Hard)
{
    public const ulong Unlimited = ulong.MaxValue;

    /// <summary>The key in <c>process.limits</c>.</summary>
    [JsonIgnore]
    public string Key => KeyOf(Kind);

    public static string KeyOf(ProcessLimitKind kind) => kind switch
    {
        ProcessLimitKind.OpenFiles => "open_files",
        ProcessLimitKind.Processes => "processes",
        ProcessLimitKind.CoreSize => "core_size",
        ProcessLimitKind.LockedMemory => "locked_memory",
        ProcessLimitKind.StackSize => "stack_size",
        _ => throw new System.Diagnostics.UnreachableException($"limit {(int)kind}"),
    };

    /// <summary>The RLIMIT_ number on Linux.</summary>
    [JsonIgnore]
    public int Resource => Kind switch
    {
        ProcessLimitKind.OpenFiles => 7,
        ProcessLimitKind.Processes => 6,
        ProcessLimitKind.CoreSize => 4,
        ProcessLimitKind.LockedMemory => 8,
        ProcessLimitKind.StackSize => 3,
        _ => throw new System.Diagnostics.UnreachableException($"limit {(int)Kind}"),
    };


    public static readonly IReadOnlyList<ProcessLimitKind> Kinds = Enum.GetValues<ProcessLimitKind>();

    /// <summary>One value: <c>unlimited</c>, a number, or for a size also <c>8MiB</c>.</summary>
    public static ulong ParseValue(string text, ProcessLimitKind kind)
    {
        var isCount = kind is ProcessLimitKind.OpenFiles or ProcessLimitKind.Processes;
        var trimmed = text.Trim();
        if (trimmed.Equals("unlimited", StringComparison.OrdinalIgnoreCase) || trimmed.Equals("infinity", StringComparison.OrdinalIgnoreCase))
        {
            return Unlimited;
        }

        if (isCount)
        {
            return ulong.TryParse(trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count < Unlimited
                ? count
                : throw new FormatException($"'{text}' is not a count; use a whole number or unlimited");
        }

        var size = ByteSize.Parse(trimmed);
        return size >= 0 ? (ulong)size : throw new FormatException($"'{text}' is not a size");
    }

    /// <summary>As the shim's <c>--rlimit</c> takes it: <c>RESOURCE:SOFT:HARD</c>, <c>inf</c> for unlimited.</summary>
    [JsonIgnore]
    public string ShimArgument => $"{Resource}:{Text(Soft)}:{Text(Hard)}";

    private static string Text(ulong value) => value == Unlimited ? "inf" : value.ToString(CultureInfo.InvariantCulture);
}
