using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace JobScheduler.Persistence.Postgres.Tests;

/// <summary>
/// A throwaway certificate authority and the files a cluster's TLS settings name: its certificate as PEM, and leaf
/// certificates it issues (or a stranger authority issues) as password-protected PKCS#12, in a temp directory of their own.
/// </summary>
public sealed class TestCertificates : IDisposable
{
    public const string Password = "test-password";

    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public TestCertificates(string name)
    {
        Directory.CreateDirectory(DirectoryPath);
        var request = new CertificateRequest($"CN={name}", _key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        Authority = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        AuthorityPemPath = Path.Combine(DirectoryPath, $"{name}.pem");
        File.WriteAllText(AuthorityPemPath, Authority.ExportCertificatePem());
    }

    public string DirectoryPath { get; } = Path.Combine(Path.GetTempPath(), $"jobscheduler-tls-{Guid.NewGuid():n}");

    public X509Certificate2 Authority { get; }

    /// <summary>The authority's certificate, what <c>Orleans:Tls:TrustedCertificatePath</c> names.</summary>
    public string AuthorityPemPath { get; }

    /// <summary>
    /// Issues a certificate for <paramref name="dnsName"/>, fit for both ends of a TLS connection, and writes it with its
    /// private key to a .pfx file (protected by <see cref="Password"/>), whose path it returns.
    /// </summary>
    public string Issue(string dnsName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={dnsName}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1", "Server Authentication"), new Oid("1.3.6.1.5.5.7.3.2", "Client Authentication")], critical: false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(dnsName);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Authority, includeKeyIdentifier: true, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var issued = request.Create(Authority, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(7), serial);
        using var withKey = issued.CopyWithPrivateKey(key);
        var path = Path.Combine(DirectoryPath, $"{dnsName}-{Guid.NewGuid():n}.pfx");
        File.WriteAllBytes(path, withKey.Export(X509ContentType.Pfx, Password));
        return path;
    }

    public void Dispose()
    {
        Authority.Dispose();
        _key.Dispose();
        Directory.Delete(DirectoryPath, recursive: true);
    }
}
