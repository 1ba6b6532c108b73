using System.Security.Cryptography;
using System.Text;

namespace ProcessMaster.Core.Configuration;

/// <summary>
/// A digest of everything in a definition (its records print every member, arrays included), saved with
/// a service's state so the next daemon knows whether what it adopts still runs the configured definition.
/// A digest rather than the text: definitions carry environment secrets.
/// </summary>
public static class DefinitionFingerprint
{
    public static string Of(ServiceDefinition definition) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(definition.ToString())));
}
