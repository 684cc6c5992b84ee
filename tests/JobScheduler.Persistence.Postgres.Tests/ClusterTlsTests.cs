using JobScheduler.Client;
using JobScheduler.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Runtime.Messaging;

namespace JobScheduler.Persistence.Postgres.Tests;

/// <summary>
/// Two silo processes on one PostgreSQL with mutual TLS (<c>Orleans:Tls:*</c>, certificates issued by a throwaway
/// authority): SDK clients with a certificate from that authority schedule and run jobs; clients with no certificate,
/// one from another authority, or no TLS at all cannot connect to the gateway.
/// </summary>
public sealed class ClusterTlsTests(ClusterTlsTests.TlsCluster cluster) : IClassFixture<ClusterTlsTests.TlsCluster>
{
    private const string SiloHost = "silo.jobscheduler.test";

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task ClientWithTrustedCertificate_SchedulesAndRunsAJob_WhileBothSilosStayInTheCluster()
    {
        var tls = ClusterTlsOptions.FromFiles(cluster.Certificates.Issue("sdk.jobscheduler.test"), TestCertificates.Password, cluster.Certificates.AuthorityPemPath, SiloHost);
        using var timeout = new CancellationTokenSource(Patience);
        using var host = ClientHost(o => o.Tls = tls);
        await host.StartAsync(timeout.Token);
        var sdk = host.Services.GetRequiredService<IJobSchedulerClient>();

        var job = await sdk.ScheduleAsync("over-tls", new JobSpec { Schedule = ScheduleSpec.Manual(), Action = ActionSpec.RunHandler("sleep", new { ms = 20 }) }, timeout.Token);
        var done = await sdk.WaitForCompletionAsync(await sdk.TriggerAsync(job.Id, cancellationToken: timeout.Token), timeout.Token);

        Assert.Equal(ExecutionState.Succeeded, done.State);
        // Silo-to-silo traffic is TLS too: had the silos failed to reach each other, probes would have declared one dead.
        Assert.Equal(2, await cluster.ActiveSilosAsync());
        await host.StopAsync(timeout.Token);
    }

    [Fact]
    public async Task ClientWithoutCertificate_CannotConnect()
    {
        await ConnectFailsAsync(o => o.ConfigureOrleans = client =>
        {
            StaticGateways(client);
            // Trusts the silos, but presents nothing: the gateway must refuse the handshake.
            client.UseTls(tls =>
            {
                tls.RemoteCertificateValidation = (certificate, chain, errors) => ClusterTls.IsTrusted(certificate, chain, errors, [cluster.Certificates.Authority]);
                tls.OnAuthenticateAsClient = (_, authentication) => authentication.TargetHost = SiloHost;
            });
        });
    }

    [Fact]
    public async Task ClientWithCertificateFromAnotherAuthority_CannotConnect()
    {
        using var stranger = new TestCertificates("stranger-ca");
        var tls = ClusterTlsOptions.FromFiles(stranger.Issue("sdk.jobscheduler.test"), TestCertificates.Password, cluster.Certificates.AuthorityPemPath, SiloHost);
        await ConnectFailsAsync(o => o.Tls = tls);
    }

    [Fact]
    public async Task ClientWithoutTls_CannotConnect()
    {
        await ConnectFailsAsync(_ => { });
    }

    /// <summary>Starts a client that does not retry; its start must fail at once with Orleans' connection error.</summary>
    private async Task ConnectFailsAsync(Action<JobSchedulerClientOptions> configure)
    {
        using var timeout = new CancellationTokenSource(Patience);
        using var host = ClientHost(configure, retryConnecting: false);
        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync(timeout.Token));
        Assert.False(timeout.IsCancellationRequested, $"Connecting took the whole {Patience} instead of failing: {error}");
        var refused = Assert.IsType<ConnectionFailedException>(error);
        Assert.StartsWith("Unable to connect to any of the 2 available gateways", refused.Message, StringComparison.Ordinal);
    }

    private IHost ClientHost(Action<JobSchedulerClientOptions> configure, bool retryConnecting = true)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddJobSchedulerClient(o =>
        {
            o.Gateways = cluster.Gateways;
            o.ApiKey = cluster.ApiKey;
            configure(o);
        });
        if (!retryConnecting)
        {
            // Orleans' default keeps retrying a refused gateway; the first refusal is the answer here.
            builder.Services.AddSingleton<IClientConnectionRetryFilter, NoRetry>();
        }
        return builder.Build();
    }

    private sealed class NoRetry : IClientConnectionRetryFilter
    {
        public Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken) => Task.FromResult(false);
    }

    private void StaticGateways(IClientBuilder client)
    {
        client.UseStaticClustering([.. cluster.Gateways.Select(g => System.Net.IPEndPoint.Parse(g))]);
        client.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = ("jobscheduler", "jobscheduler"));
    }

    /// <summary>The database, the certificates and two TLS silos, shared by the tests of the class.</summary>
    public sealed class TlsCluster : IAsyncLifetime
    {
        private readonly PostgresDatabase _database = new();
        private readonly List<ServerProcess> _silos = [];

        public TestCertificates Certificates { get; } = new("jobscheduler-test-ca");

        public List<string> Gateways => [.. _silos.Select(s => $"127.0.0.1:{s.GatewayPort}")];

        public async Task InitializeAsync()
        {
            await _database.InitializeAsync();
            // One certificate shared by the silos, named SiloHost: TargetHost defaults to it.
            var siloCertificate = Certificates.Issue(SiloHost);
            for (var i = 0; i < 2; i++)
            {
                // The first serves the REST API too, where the SDK's API key comes from.
                _silos.Add(ServerProcess.OnPostgres(_database.ConnectionString, i == 0 ? "--JobScheduler:Role=All" : "--JobScheduler:Role=Silo",
                    $"--Orleans:Tls:CertificatePath={siloCertificate}",
                    $"--Orleans:Tls:CertificatePassword={TestCertificates.Password}",
                    $"--Orleans:Tls:TrustedCertificatePath={Certificates.AuthorityPemPath}"));
            }
            foreach (var silo in _silos)
            {
                await silo.StartAsync();
            }
            using var timeout = new CancellationTokenSource(Patience);
            while (await ActiveSilosAsync() < 2)
            {
                await Task.Delay(200, timeout.Token);
            }
            ApiKey = await TestLogin.ApiKeyAsync(new Uri($"http://127.0.0.1:{_silos[0].HttpPort}"), "tls-client", cancellationToken: timeout.Token);
        }

        /// <summary>An operator's API key for the SDK clients.</summary>
        public string ApiKey { get; private set; } = "";

        public Task<long> ActiveSilosAsync() => _database.ScalarAsync("SELECT count(*) FROM orleansmembershiptable WHERE status = 3");

        public async Task DisposeAsync()
        {
            foreach (var silo in _silos)
            {
                await silo.DisposeAsync();
            }
            await _database.DisposeAsync();
            Certificates.Dispose();
        }
    }
}
