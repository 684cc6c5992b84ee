using JobScheduler.Server;
using Microsoft.Extensions.Configuration;

namespace JobScheduler.Api.Tests;

/// <summary>
/// A silo reachable from other hosts refuses to start without cluster TLS unless the operator accepts the risk
/// (<c>Orleans:Tls:Required=false</c>); on loopback, and in the embedded default, TLS stays optional.
/// </summary>
public sealed class ServerTlsOptionsTests
{
    private static ServerOptions Read(params (string Key, string Value)[] settings) => ServerOptions.Read(new ConfigurationBuilder()
        .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
        .Build());

    private static readonly (string, string)[] Cluster =
    [
        ("JobScheduler:Storage", "Postgres"),
        ("ConnectionStrings:Postgres", "Host=db;Username=u;Password=p"),
    ];

    [Fact]
    public void SiloAdvertisedOffLoopback_WithoutTls_RefusesToStartNamingTheKeys()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Read([.. Cluster, ("Orleans:AdvertisedAddress", "10.1.2.3")]));

        Assert.Contains("Orleans:Tls:CertificatePath", error.Message, StringComparison.Ordinal);
        Assert.Contains("Orleans:Tls:Required=false", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SiloAdvertisedOffLoopback_WithRequiredFalse_Starts()
    {
        var options = Read([.. Cluster, ("Orleans:AdvertisedAddress", "10.1.2.3"), ("Orleans:Tls:Required", "false")]);

        Assert.Null(options.Tls);
        Assert.False(options.TlsRequired);
    }

    [Fact]
    public void SiloAdvertisedOnLoopback_WithoutTls_Starts() => Assert.Null(Read([.. Cluster, ("Orleans:AdvertisedAddress", "127.0.0.1")]).Tls);

    [Fact]
    public void ApiFrontDoor_IsNotASilo_NeedsNoTlsToStart() =>
        Assert.Null(Read([.. Cluster, ("JobScheduler:Role", "Api"), ("Orleans:AdvertisedAddress", "10.1.2.3")]).Tls);

    [Fact]
    public void EmbeddedDefault_WithoutTls_Starts() => Assert.Null(Read().Tls);

    [Fact]
    public void TlsWithOnlyOneOfItsFiles_RefusesToStart()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Read([.. Cluster, ("Orleans:Tls:CertificatePath", "/nowhere/silo.pfx")]));

        Assert.Contains("TrustedCertificatePath", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TlsCertificateFileMissing_RefusesToStartNamingTheFile()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Read(
            [.. Cluster, ("Orleans:Tls:CertificatePath", "/nowhere/silo.pfx"), ("Orleans:Tls:TrustedCertificatePath", "/nowhere/ca.pem")]));

        Assert.Contains("/nowhere/silo.pfx", error.Message, StringComparison.Ordinal);
    }
}
