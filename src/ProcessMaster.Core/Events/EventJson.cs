using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Serialization;
using ProcessMaster.Core.Supervision;

namespace ProcessMaster.Core.Events;

/// <summary>How events are written: snake_case fields, enums by name, the kind as <c>kind</c>.</summary>
public static class EventJson
{
    private static readonly FrozenDictionary<Type, string> Kinds =
        EventJsonContext.Default.Event.PolymorphismOptions!.DerivedTypes.ToFrozenDictionary(d => d.DerivedType, d => (string)d.TypeDiscriminator!);

    /// <summary>Every kind, by its type.</summary>
    public static IReadOnlyDictionary<Type, string> All => Kinds;

    public static string KindOf(Type type) =>
        Kinds.TryGetValue(type, out var kind) ? kind : throw new System.Diagnostics.UnreachableException($"{type.Name} is not listed on Event");

    public static JsonElement ToElement(Event e) => JsonSerializer.SerializeToElement(e, EventJsonContext.Default.Event);

    public static string Serialize(EventLine line) => JsonSerializer.Serialize(line, EventJsonContext.Default.EventLine);

    public static EventLine? Deserialize(string line) => JsonSerializer.Deserialize(line, EventJsonContext.Default.EventLine);
}

/// <summary>Enums as snake_case names (<c>policy_restart</c>).</summary>
internal sealed class SnakeCaseEnum<T>() : JsonStringEnumConverter<T>(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false)
    where T : struct, Enum;

/// <summary>States as status shows them (<c>RUNNING</c>).</summary>
internal sealed class UpperCaseEnum<T>() : JsonStringEnumConverter<T>(JsonNamingPolicy.SnakeCaseUpper, allowIntegerValues: false)
    where T : struct, Enum;

// What is read back has every field its kind declares, non-null where declared so: a line that does not is read as its text.
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    RespectNullableAnnotations = true, RespectRequiredConstructorParameters = true,
    Converters = [typeof(SnakeCaseEnum<CauseKind>), typeof(UpperCaseEnum<ServiceState>), typeof(SnakeCaseEnum<ProbeKind>), typeof(SnakeCaseEnum<ProbeVerdict>),
        typeof(SnakeCaseEnum<StopStep>), typeof(SnakeCaseEnum<TickSkip>), typeof(SnakeCaseEnum<AdoptionOutcome>), typeof(SnakeCaseEnum<NotifyKind>),
        typeof(SnakeCaseEnum<AdminStep>)])]
[JsonSerializable(typeof(EventLine))]
[JsonSerializable(typeof(Event))]
internal sealed partial class EventJsonContext : JsonSerializerContext;
