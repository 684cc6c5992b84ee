using JobScheduler.Client;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;

namespace Microsoft.Extensions.DependencyInjection;

public static class JobSchedulerClientExtensions
{
    /// <summary>
    /// Registers an Orleans client connected to a JobScheduler cluster and <see cref="IJobSchedulerClient"/> over it.
    /// The client connects when the host starts.
    /// </summary>
    public static IServiceCollection AddJobSchedulerClient(this IServiceCollection services, Action<JobSchedulerClientOptions>? configure = null)
    {
        var options = new JobSchedulerClientOptions();
        configure?.Invoke(options);
        services.Configure<JobSchedulerClientOptions>(o => configure?.Invoke(o));
        services.AddOrleansClient(client =>
        {
            client.AddOutgoingGrainCallFilter<ApiKeyCallFilter>();
            if (options.Tls is { } tls)
            {
                client.UseTls(tls.Certificate, o => ClusterTls.Configure(o, tls));
            }
            if (options.ConfigureOrleans is not null)
            {
                options.ConfigureOrleans(client);
                return;
            }
            client.UseStaticClustering(options.ParseGateways());
            client.Configure<ClusterOptions>(cluster =>
            {
                cluster.ClusterId = options.ClusterId;
                cluster.ServiceId = options.ServiceId;
            });
        });
        // Waits are timed on it; the silo registers the same default when client and silo share a host.
#pragma warning disable RS0030
        services.TryAddSingleton(TimeProvider.System);
#pragma warning restore RS0030
        services.TryAddSingleton<IJobSchedulerClient, JobSchedulerClient>();
        return services;
    }
}
