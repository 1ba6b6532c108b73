using System.Text;
using ProcessMaster.Core.Processes;

namespace ProcessMaster.Core.Configuration;

/// <summary>Reads the master config file; any problem is fatal and reported in full.</summary>
public static class MasterConfigLoader
{
    public static MasterConfig Load(string path, IUserDatabase users)
    {
        var errors = new ConfigErrorCollector();
        string text;
        try
        {
            if (new FileInfo(path).Length > ServiceCatalogLoader.MaxFileBytes)
            {
                throw new ConfigException([ConfigError.ForFile(path, $"file is larger than {ServiceCatalogLoader.MaxFileBytes} bytes")]);
            }

            text = new UTF8Encoding(false, true).GetString(File.ReadAllBytes(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DecoderFallbackException)
        {
            throw new ConfigException([ConfigError.ForFile(path, $"cannot read config: {e.Message}")]);
        }

        MasterConfig? config;
        try
        {
            config = MasterConfigParser.Parse(path, text, users, errors);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new ConfigException([ConfigError.ForFile(path, $"cannot be loaded: {e.GetType().Name}: {e.Message}")]);
        }

        errors.ThrowIfAny();
        return config ?? throw new ConfigException([ConfigError.ForFile(path, "config is empty")]);
    }
}
