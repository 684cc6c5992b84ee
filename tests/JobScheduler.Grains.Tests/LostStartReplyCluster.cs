using JobScheduler.Grains.Hosting;
using Orleans.TestingHost;

namespace JobScheduler.Grains.Tests;

/// <summary>A one-silo cluster whose execution starts can be made to lose their reply (<see cref="LostStartReplyFilter"/>).</summary>
public sealed class LostStartReplyCluster : IAsyncLifetime
{
    public InProcessTestCluster Cluster { get; private set; } = null!;

    public static readonly LostStartReplyFilter Filter = new();

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddJobSchedulerMemoryStorage();
            silo.AddJobSchedulerMemoryReminders();
            silo.AddIncomingGrainCallFilter(Filter);
            silo.AddJobScheduler();
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}
