using System.Net;
using System.Security.Cryptography.X509Certificates;
using ProcessMaster.Core.Configuration;

namespace ProcessMaster.Daemon.Http;

/// <summary>
/// What a listener presents over TLS (<c>server_cert_pem</c>/<c>server_key_pem</c>, or a certificate
/// generated and kept in the state directory) and, with <c>mtls</c>, the authority whose client
/// certificates it accepts. The console and the metrics listener load theirs the same way.
/// </summary>
internal sealed class TlsIdentity(X509Certificate2 certificate, X509Certificate2? clientAuthority) : IDisposable
{
    public X509Certificate2 Certificate => certificate;

    public X509Certificate2? ClientAuthority => clientAuthority;

    /// <summary>Null when TLS is off.</summary>
    /// <exception cref="System.Security.Cryptography.CryptographicException">A configured PEM cannot be used.</exception>
    /// <exception cref="IOException">A PEM, or the state directory, cannot be read or written.</exception>
    public static TlsIdentity? Load(TlsSettings settings, IPAddress bind, string stateDirectory, TimeProvider time, Action<string> report)
    {
        if (!settings.Enabled)
        {
            return null;
        }

        var certificate = settings.ServerCertPem is { } cert
            ? X509Certificate2.CreateFromPemFile(cert, settings.ServerKeyPem)
            : SelfSignedCertificate.LoadOrCreate(stateDirectory, bind, settings.ClientHost, time, report);
        var authority = settings.Mtls && settings.CaPem is { } ca ? X509Certificate2.CreateFromPem(File.ReadAllText(ca)) : null;
        return new TlsIdentity(certificate, authority);
    }

    /// <summary>A client certificate counts when the configured authority signed it (always, without mtls).</summary>
    public bool Accepts(X509Certificate? client)
    {
        if (clientAuthority is null)
        {
            return true;
        }

        if (client is null)
        {
            return false;
        }

        using var copy = X509CertificateLoader.LoadCertificate(client.GetRawCertData());
        return ClientCertificates.IsSignedBy(clientAuthority, copy);
    }

    public void Dispose()
    {
        certificate.Dispose();
        clientAuthority?.Dispose();
    }
}
