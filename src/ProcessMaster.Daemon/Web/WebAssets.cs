using System.Reflection;

namespace ProcessMaster.Daemon.Web;

/// <summary>The console's page, script, style and icon, embedded in the binary (no CDN, no files to deploy).</summary>
internal static class WebAssets
{
    private static readonly Dictionary<string, (byte[] Content, string Type)> Assets = Load();

    public static (byte[] Content, string Type)? Find(string name) => Assets.TryGetValue(name, out var asset) ? asset : null;

    public static string Text(string name) => System.Text.Encoding.UTF8.GetString(Assets[name].Content);

    private static Dictionary<string, (byte[], string)> Load()
    {
        var assembly = Assembly.GetExecutingAssembly();
        var result = new Dictionary<string, (byte[], string)>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith("web/", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            var name = resource["web/".Length..];
            var type = Path.GetExtension(name) switch
            {
                ".js" => "text/javascript; charset=utf-8",
                ".css" => "text/css; charset=utf-8",
                ".svg" => "image/svg+xml",
                ".html" => "text/html; charset=utf-8",
                _ => "application/octet-stream",
            };
            result[name] = (memory.ToArray(), type);
        }

        return result;
    }
}
