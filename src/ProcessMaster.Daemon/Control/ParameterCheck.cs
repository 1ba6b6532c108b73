using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace ProcessMaster.Daemon.Control;

/// <summary>
/// Checks a request's named parameters against the method's JSON contract before they are bound, so an
/// error names the parameter and what it must be (unknown, missing, wrong kind of value), from the
/// contract itself rather than from the serializer's message.
/// </summary>
internal static class ParameterCheck
{
    /// <summary>What is wrong with <paramref name="parameters"/> (an object), or null when it fits the contract.</summary>
    public static string? Problem(JsonElement parameters, JsonTypeInfo contract)
    {
        // A handful of parameters per method: a scan, not a dictionary built for every request.
        foreach (var parameter in parameters.EnumerateObject())
        {
            if (contract.Properties.FirstOrDefault(p => p.Name == parameter.Name) is not { } property)
            {
                return $"unknown parameter '{parameter.Name}'";
            }

            if (Expected(property, parameter.Value.ValueKind) is { } expected)
            {
                return $"parameter '{parameter.Name}' must be {expected}";
            }
        }

        var missing = contract.Properties
            .Where(p => (p.IsRequired || p.AssociatedParameter is { HasDefaultValue: false }) && !parameters.TryGetProperty(p.Name, out _))
            .Select(p => $"'{p.Name}'")
            .ToList();
        return missing.Count switch
        {
            0 => null,
            1 => $"missing required parameter {missing[0]}",
            _ => $"missing required parameters {string.Join(", ", missing)}",
        };
    }

    /// <summary>What a value of <paramref name="property"/> must look like, when <paramref name="kind"/> is not that.</summary>
    private static string? Expected(JsonPropertyInfo property, JsonValueKind kind)
    {
        var nullable = property.AssociatedParameter?.IsNullable ?? property.IsSetNullable;
        var underlying = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        if (kind == JsonValueKind.Null)
        {
            return nullable ? null : Describe(underlying);
        }

        var fits = underlying switch
        {
            _ when underlying == typeof(bool) => kind is JsonValueKind.True or JsonValueKind.False,
            _ when underlying == typeof(int) || underlying == typeof(long) => kind == JsonValueKind.Number,
            _ when underlying == typeof(string) => kind == JsonValueKind.String,
            _ => true, // structured values are checked as they are bound
        };
        return fits ? null : Describe(underlying);
    }

    private static string Describe(Type type) =>
        type == typeof(bool) ? "true or false"
        : type == typeof(int) || type == typeof(long) ? "a whole number"
        : type == typeof(string) ? "a string"
        : "a value of another type";
}
