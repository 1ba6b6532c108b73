using System.IO.Hashing;
using System.Text;

namespace ProcessMaster.Core.Configuration;

/// <summary>
/// A digest of everything in a definition (its records print every member, arrays included), saved with
/// a service's state so the next daemon knows whether what it adopts still runs the configured definition.
/// A digest rather than the text: definitions carry environment secrets. XxHash128, not a cryptographic
/// hash: this detects change, and the daemon must not need OpenSSL.
/// </summary>
public static class DefinitionFingerprint
{
    public static string Of(ServiceDefinition definition) =>
        Convert.ToHexString(XxHash128.Hash(Encoding.UTF8.GetBytes(definition.ToString())));
}
