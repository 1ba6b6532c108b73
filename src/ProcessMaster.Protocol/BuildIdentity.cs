using System.Globalization;
using System.Text.Json.Serialization;

namespace ProcessMaster.Protocol;

/// <summary>
/// Who built a binary: UTC build time, build host and a random id made once per build. The daemon
/// and pmctl compare it in the <c>hello</c> handshake so that only co-built pairs talk.
/// </summary>
public sealed record BuildIdentity(
    [property: JsonPropertyName("build_time")] string BuildTime,
    [property: JsonPropertyName("build_host")] string BuildHost,
    [property: JsonPropertyName("build_id")] string BuildId)
{
    /// <summary>The identity compiled into this binary.</summary>
    public static BuildIdentity Current { get; } = new(
        BuildIdentityConstants.BuildTime, BuildIdentityConstants.BuildHost, BuildIdentityConstants.BuildId);

    /// <summary>The build time as <c>YYYY-MM-DD HH:MM:SS</c> UTC, for humans.</summary>
    [JsonIgnore]
    public string PrettyBuildTime =>
        DateTime.TryParse(BuildTime, CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t)
            ? t.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)
            : BuildTime;

    /// <summary>One line for <c>--version</c>, <c>pmctl version</c> and <c>server_version</c>.</summary>
    public string Describe() =>
        $"processmaster (built on {BuildHost} at {PrettyBuildTime} UTC, build {BuildId})";

    public override string ToString() => $"build_time={BuildTime} build_host={BuildHost} build_id={BuildId}";
}
