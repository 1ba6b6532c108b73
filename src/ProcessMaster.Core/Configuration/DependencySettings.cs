using System.Text.Json.Serialization;

namespace ProcessMaster.Core.Configuration;

/// <summary>What a dependency must reach before its dependent starts.</summary>
public enum DependencyCondition
{
    /// <summary>The dependency is RUNNING.</summary>
    Started,

    /// <summary>The dependency is RUNNING and its readiness probe passed.</summary>
    Healthy,

    /// <summary>The dependency, a one-shot service (restart policy <c>never</c>), exited 0.</summary>
    CompletedSuccessfully,
}

/// <summary>One <c>depends_on</c> entry.</summary>
/// <param name="Timeout">How long the dependent waits for the condition before it fails; null: as long as it takes.</param>
/// <param name="Restart">Restart the dependent once the dependency, restarted, meets the condition again.</param>
public sealed record Dependency(string Service, DependencyCondition Condition, TimeSpan? Timeout, bool Restart)
{
    /// <summary>Where it was written, for the errors that need the whole catalog to be found (cycles, unknown names).</summary>
    [JsonIgnore]
    public SourceMark At { get; init; }
}

/// <summary>
/// A position in a definition file. It never makes two definitions different: saying the same thing on
/// another line is no change (a reload restarts nothing for it).
/// </summary>
public readonly record struct SourceMark(string File, int Line, int Column, string Key)
{
    public ConfigError Error(string message) => new(File, Line, Column, Key, message);

    public bool Equals(SourceMark other) => true;

    public override int GetHashCode() => 0;
}

public static class DependencyConditionNames
{
    /// <summary>The spelling of the configuration, events and status.</summary>
    public static string Name(this DependencyCondition condition) => condition switch
    {
        DependencyCondition.Started => "started",
        DependencyCondition.Healthy => "healthy",
        DependencyCondition.CompletedSuccessfully => "completed_successfully",
    };
}
