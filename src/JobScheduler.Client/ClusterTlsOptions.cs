using System.Security.Cryptography.X509Certificates;

namespace JobScheduler.Client;

/// <summary>
/// Mutual TLS between the SDK and the silos' gateways (and, on the server, between silos): this side's certificate,
/// the certificates a peer's must chain to, and the name a silo's certificate must carry. docs/security.md, "The SDK
/// gateway and cluster traffic", says why the gateway needs it whenever it is reachable from another host.
/// </summary>
public sealed class ClusterTlsOptions
{
    /// <summary>This side's certificate, with its private key; presented to every peer. Required.</summary>
    public required X509Certificate2 Certificate { get; init; }

    /// <summary>
    /// The certificate authorities (or self-signed certificates) a peer's certificate must chain to. Only these are
    /// trusted: the machine's root store is not consulted, revocation is not checked. Required, at least one.
    /// </summary>
    public required X509Certificate2Collection TrustedCertificates { get; init; }

    /// <summary>
    /// The host name a silo's certificate must name (a DNS subject alternative name), checked when this side connects.
    /// Default: the DNS name of <see cref="Certificate"/>, which fits one certificate shared by the whole cluster.
    /// </summary>
    public string? TargetHost { get; init; }

    /// <summary>The name checked on silo certificates: <see cref="TargetHost"/>, else <see cref="Certificate"/>'s DNS name.</summary>
    public string ExpectedHost => TargetHost is { Length: > 0 } host ? host
        : Certificate.GetNameInfo(X509NameType.DnsName, forIssuer: false) is { Length: > 0 } own ? own
        : throw new InvalidOperationException("The TLS certificate names no DNS host: set TargetHost to the name on the silos' certificates.");

    /// <summary>
    /// Reads <paramref name="certificatePath"/> (PKCS#12, .pfx, with its private key) and <paramref name="trustedCertificatesPath"/>
    /// (PEM with one or more certificates, or one DER certificate), failing with a message that names the file at fault.
    /// </summary>
    public static ClusterTlsOptions FromFiles(string certificatePath, string? certificatePassword, string trustedCertificatesPath, string? targetHost = null)
    {
        var certificate = Load(certificatePath, () => X509CertificateLoader.LoadPkcs12FromFile(certificatePath, certificatePassword));
        if (!certificate.HasPrivateKey)
        {
            throw new InvalidOperationException($"The TLS certificate '{certificatePath}' has no private key: it could not prove whose it is.");
        }
        var trusted = Load(trustedCertificatesPath, () =>
        {
            var collection = new X509Certificate2Collection();
            if (File.ReadAllText(trustedCertificatesPath).Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
            {
                collection.ImportFromPemFile(trustedCertificatesPath);
            }
            else
            {
                collection.Add(X509CertificateLoader.LoadCertificateFromFile(trustedCertificatesPath));
            }
            return collection;
        });
        if (trusted.Count == 0)
        {
            throw new InvalidOperationException($"The trusted certificates file '{trustedCertificatesPath}' holds no certificate.");
        }
        var options = new ClusterTlsOptions { Certificate = certificate, TrustedCertificates = trusted, TargetHost = targetHost };
        _ = options.ExpectedHost; // fails now, naming the fix, rather than at the first connection
        return options;
    }

    private static T Load<T>(string path, Func<T> load)
    {
        try
        {
            return load();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new InvalidOperationException($"Cannot read the TLS file '{path}': {ex.Message}", ex);
        }
    }
}
