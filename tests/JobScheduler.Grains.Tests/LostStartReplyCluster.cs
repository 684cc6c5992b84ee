using JobScheduler.Grains.Hosting;
using Orleans.TestingHost;

using JobScheduler.Grains.Nodes;
using Microsoft.Extensions.DependencyInjection;

namespace JobScheduler.Grains.Tests;

/// <summary>
/// A one-silo cluster whose execution starts can be made to lose their reply (<see cref="LostStartReplyFilter"/>), and
/// whose attempt starts can be refused before they reach the node (<see cref="RunnerStartRejectedFilter"/>).
/// </summary>
public sealed class LostStartReplyCluster : IAsyncLifetime
{
    public InProcessTestCluster Cluster { get; private set; } = null!;

    public static readonly LostStartReplyFilter Filter = new();

    public static readonly RunnerStartRejectedFilter RunnerFilter = new();

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddJobSchedulerMemoryStorage();
            silo.AddJobSchedulerMemoryReminders();
            silo.AddIncomingGrainCallFilter(Filter);
            silo.AddIncomingGrainCallFilter(RunnerFilter);
            silo.Services.Configure<NodeOptions>(o => (o.CpuMillis, o.MemoryMb) = (1000, 1000));
            silo.AddJobScheduler();
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}
