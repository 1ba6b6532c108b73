using System.Security.Cryptography.X509Certificates;

namespace ProcessMaster.Daemon.Http;

/// <summary>mTLS for the console and the metrics listener: a client certificate counts when <c>ca_pem</c> signed it.</summary>
internal static class ClientCertificates
{
    public static bool IsSignedBy(X509Certificate2 authority, X509Certificate2 client)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(client);
    }
}
