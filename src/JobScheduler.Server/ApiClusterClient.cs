using JobScheduler.Api;
using JobScheduler.Client;
using JobScheduler.Persistence.Postgres;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Dashboard;

namespace JobScheduler.Server;

/// <summary>The Orleans client of the REST front door in its own process (<c>JobScheduler:Role=Api</c>).</summary>
internal static class ApiClusterClient
{
    public static void Configure(IClientBuilder client, ServerOptions server)
    {
        client.UseJobSchedulerPostgres(server.ConnectionString!);
        // A request's trace continues through its grain calls into the silos.
        client.AddActivityPropagation();
        client.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (server.ClusterId, server.ServiceId));
        BoundGrainCalls(client);
        if (server.Tls is { } tls)
        {
            client.UseTls(tls.Certificate, o => ClusterTls.Configure(o, tls));
        }
        // The Orleans dashboard served here (/orleans) reads the silos through this client.
        client.AddDashboard();
    }

    /// <summary>
    /// How the front door copes with silos that die under its requests. It learns every 2 s which gateways are alive (the
    /// default is a minute), so that new requests avoid a dead one. A request already sent to a silo that dies or freezes
    /// gets no answer, and Orleans' external client, unlike a silo, does not fail it when that silo is declared dead:
    /// it waits the client's response timeout, which is set to <see cref="JobSchedulerApiOptions.GrainCallTimeout"/>
    /// (<c>JobScheduler:Api:GrainCallTimeout</c>, 10 s) instead of Orleans' 30 s. The call then fails with a
    /// <see cref="TimeoutException"/>, which <see cref="ClusterExceptionHandler"/> answers with 503 and <c>Retry-After</c>.
    /// </summary>
    public static IClientBuilder BoundGrainCalls(IClientBuilder client)
    {
        client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(2));
        client.Services.AddOptions<JobSchedulerApiOptions>().BindConfiguration(JobSchedulerApiOptions.Section);
        client.Services.AddOptions<ClientMessagingOptions>()
            .Configure<IOptions<JobSchedulerApiOptions>>((messaging, api) => messaging.ResponseTimeout = api.Value.GrainCallTimeout);
        return client;
    }
}
