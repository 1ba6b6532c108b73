using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ProcessMaster.Daemon.Http;

/// <summary>
/// The certificate the console uses when TLS is enabled without PEM files: an ECDSA P-256 self-signed
/// certificate for localhost, the host name and the bind address, kept in the state directory (key mode
/// 0600), valid 397 days and made anew when it has expired or is about to.
/// </summary>
internal static class SelfSignedCertificate
{
    public static X509Certificate2 LoadOrCreate(string directory, IPAddress bind, string? clientHost, TimeProvider time, Action<string> report)
    {
        var certPath = Path.Combine(directory, "web-console.crt.pem");
        var keyPath = Path.Combine(directory, "web-console.key.pem");
        if (File.Exists(certPath) && File.Exists(keyPath))
        {
            var existing = X509Certificate2.CreateFromPemFile(certPath, keyPath);
            if (existing.NotAfter.ToUniversalTime() > time.GetUtcNow().UtcDateTime.AddDays(7))
            {
                return existing;
            }

            report($"the generated web console certificate expires {existing.NotAfter:yyyy-MM-dd}; making a new one");
        }

        Directory.CreateDirectory(directory);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={Environment.MachineName}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddDnsName(Environment.MachineName);
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        if (!bind.Equals(IPAddress.Any) && !bind.Equals(IPAddress.IPv6Any))
        {
            names.AddIpAddress(bind);
        }

        if (clientHost is { Length: > 0 })
        {
            if (IPAddress.TryParse(clientHost, out var clientAddress))
            {
                names.AddIpAddress(clientAddress);
            }
            else
            {
                names.AddDnsName(clientHost);
            }
        }

        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var now = time.GetUtcNow();
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(397));
        File.WriteAllText(certPath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, "");
        File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        report($"generated a self-signed web console certificate: {certPath}");
        return X509Certificate2.CreateFromPemFile(certPath, keyPath);
    }
}
