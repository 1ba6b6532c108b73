using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using ProcessMaster.Core.Configuration.Values;
using ProcessMaster.Core.Processes;

namespace ProcessMaster.Core.Configuration;

/// <summary>
/// A digest of a definition, saved with a service's state so the next daemon knows whether what it adopts
/// still runs the configured definition, also when the next daemon is a newer build (an upgrade by
/// re-exec). The definition is written as JSON and only what differs from a definition that sets nothing
/// (this build's defaults, for a service or a cron job) goes into the digest: a member a newer build adds
/// at its default leaves the digest as it was; a default it changes does not (the service would now
/// behave differently). A digest rather than the text: definitions carry environment secrets. XxHash128,
/// not a cryptographic hash: this detects change, and the daemon must not need OpenSSL.
/// </summary>
public static class DefinitionFingerprint
{
    private const int MaxPath = 512;
    private const int MaxDepth = 32;

    private static readonly Lazy<Dictionary<UInt128, UInt128>> ServiceBaseline = new(() => Baseline(""));
    private static readonly Lazy<Dictionary<UInt128, UInt128>> CronBaseline = new(() => Baseline("\n  schedule: \"@daily\""));

    // The JSON metadata of every definition type (a few hundred properties) is needed only
    // while definitions are loaded: it lives in a context of its own that ReleaseMetadata lets go.
    private static DefinitionJsonContext? s_context;

    private static JsonTypeInfo<ServiceDefinition> DefinitionJson =>
        (s_context ??= new DefinitionJsonContext(new JsonSerializerOptions(DefinitionJsonContext.Default.Options))).ServiceDefinition;

    public static string Of(ServiceDefinition definition) =>
        Digest(Json(definition), (definition.IsCron ? CronBaseline : ServiceBaseline).Value);

    private static byte[] Json(ServiceDefinition definition) => UnpooledJson.Serialize(definition, DefinitionJson);

    /// <summary>Lets the definition types' JSON metadata go (after boot and reload); the next digest builds it again.</summary>
    public static void ReleaseMetadata() => s_context = null;

    /// <summary>
    /// The digest of the leaves of <paramref name="json"/> (a definition) that differ from the same path in
    /// <paramref name="baseline"/>: each hashed with its path, and summed, so the order in which a build
    /// lists members does not matter.
    /// </summary>
    internal static string Digest(ReadOnlySpan<byte> json, IReadOnlyDictionary<UInt128, UInt128> baseline)
    {
        UInt128 sum = 0;
        Span<byte> bytes = stackalloc byte[16];
        foreach (var (path, value) in Leaves(json))
        {
            if (!baseline.TryGetValue(path, out var same) || same != value)
            {
                BinaryPrimitives.WriteUInt128LittleEndian(bytes, value);
                sum += XxHash128.HashToUInt128(bytes, unchecked((long)(ulong)path)) ^ path;
            }
        }

        BinaryPrimitives.WriteUInt128BigEndian(bytes, sum);
        return Convert.ToHexString(bytes);
    }

    /// <summary>
    /// The leaves of a JSON object, each as the hash of its path (<c>.process.stop_signal</c>) and of its
    /// value's JSON text; an array is one leaf.
    /// </summary>
    internal static List<(UInt128 Path, UInt128 Value)> Leaves(ReadOnlySpan<byte> json)
    {
        var leaves = new List<(UInt128, UInt128)>(64);
        var reader = new Utf8JsonReader(json);
        Span<byte> path = stackalloc byte[MaxPath];
        Span<int> objects = stackalloc int[MaxDepth]; // the path length of each open object
        var depth = 0;
        var length = 0;
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject when depth < MaxDepth:
                    objects[depth++] = length;
                    break;
                case JsonTokenType.EndObject when depth > 0:
                    depth--;
                    break;
                case JsonTokenType.PropertyName when depth > 0:
                    length = objects[depth - 1];
                    var name = reader.ValueSpan[..Math.Min(reader.ValueSpan.Length, MaxPath - length - 1)];
                    path[length] = (byte)'.';
                    name.CopyTo(path[(length + 1)..]);
                    length += 1 + name.Length;
                    break;
                default:
                    var start = (int)reader.TokenStartIndex;
                    reader.Skip(); // a whole array is one leaf
                    leaves.Add((XxHash128.HashToUInt128(path[..length]), XxHash128.HashToUInt128(json[start..(int)reader.BytesConsumed])));
                    break;
            }
        }

        return leaves;
    }

    /// <summary>The leaves of a definition that sets only what must be set, as this build parses it.</summary>
    private static Dictionary<UInt128, UInt128> Baseline(string processExtra)
    {
        var errors = new ConfigErrorCollector();
        var context = new ServiceParseContext("baseline.yaml", "baseline", null, NoUsers.Instance, _ => [], TimeZoneInfo.Utc);
        var definition = ServiceDefinitionParser.Parse($"process:\n  working_directory: /\n  start_command: [baseline]{processExtra}\n", context, errors)
                         ?? throw new InvalidOperationException($"the fingerprint baseline does not parse: {string.Join("; ", errors.Errors)}");
        return Leaves(Json(definition))
            .ToDictionary(leaf => leaf.Path, leaf => leaf.Value);
    }

    /// <summary>The baseline names no user or group.</summary>
    private sealed class NoUsers : IUserDatabase
    {
        public static readonly NoUsers Instance = new();

        public UserAccount? FindUser(string nameOrId) => null;

        public GroupAccount? FindGroup(string nameOrId) => null;

        public uint[] SupplementaryGroups(string userName, uint primaryGid) => [];
    }
}

/// <summary>A cron schedule as its expression and zone.</summary>
internal sealed class CronScheduleJsonConverter : JsonConverter<CronSchedule>
{
    public override CronSchedule Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("definitions are only written");

    public override void Write(Utf8JsonWriter writer, CronSchedule value, JsonSerializerOptions options) =>
        writer.WriteStringValue($"{value.Text} ({value.Zone.Id})");
}

/// <summary>Source-generated JSON of a definition, for its fingerprint (written only, never read).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UseStringEnumConverter = true,
    Converters = [typeof(CronScheduleJsonConverter)])]
[JsonSerializable(typeof(ServiceDefinition))]
internal sealed partial class DefinitionJsonContext : JsonSerializerContext;
