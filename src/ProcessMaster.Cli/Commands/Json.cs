using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using ProcessMaster.Protocol;

namespace ProcessMaster.Cli.Commands;

/// <summary>Indented JSON output for <c>--format json</c>.</summary>
internal static class Json
{
    private static readonly ProtocolJsonContext Indented = new(new JsonSerializerOptions(ProtocolJsonContext.Default.Options) { WriteIndented = true });

    public static string Write<T>(T value, Func<ProtocolJsonContext, JsonTypeInfo<T>> info) => JsonSerializer.Serialize(value, info(Indented));
}

/// <summary>The <c>--format text|json</c> option.</summary>
internal static class FormatOption
{
    public static System.CommandLine.Option<string> Create() => new("--format")
    {
        Description = "Output format",
        DefaultValueFactory = _ => "text",
        HelpName = "text|json",
    };

    public static void Restrict(System.CommandLine.Option<string> option) => option.AcceptOnlyFromAmong("text", "json");
}
