using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Orleans.Connections.Security;

namespace JobScheduler.Client;

/// <summary>
/// Applies <see cref="ClusterTlsOptions"/> to Orleans' <see cref="TlsOptions"/>, the same way on silos and clients: both
/// sides must present a certificate, and a peer's certificate is accepted only when it chains to one of the trusted
/// certificates (and, for a silo this side connects to, names the expected host).
/// </summary>
public static class ClusterTls
{
    public static void Configure(TlsOptions tls, ClusterTlsOptions options)
    {
        var host = options.ExpectedHost;
        tls.LocalCertificate = options.Certificate;
        tls.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
        tls.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
        tls.RemoteCertificateValidation = (certificate, chain, errors) => IsTrusted(certificate, chain, errors, options.TrustedCertificates);
        tls.OnAuthenticateAsClient = (_, client) => client.TargetHost = host;
    }

    /// <summary>
    /// Whether <paramref name="certificate"/> chains to one of <paramref name="trusted"/> (only those: the machine's roots
    /// do not count) and the handshake found no name mismatch. The chain SslStream built is used only for intermediates.
    /// </summary>
    public static bool IsTrusted(X509Certificate2 certificate, X509Chain? presented, SslPolicyErrors errors, X509Certificate2Collection trusted)
    {
        if ((errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
        {
            return false;
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(trusted);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }
        return chain.Build(certificate);
    }
}
