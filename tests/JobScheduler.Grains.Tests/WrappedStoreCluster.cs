using JobScheduler.Core.Storage;
using JobScheduler.Grains.Hosting;
using JobScheduler.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime.Hosting;
using Orleans.Serialization;
using Orleans.Storage;
using Orleans.TestingHost;

namespace JobScheduler.Grains.Tests;

/// <summary>
/// A one-silo in-process cluster on the memory store whose grain state goes through a wrapper of the test's making (a
/// slow store, one that refuses a write, one that lets two writes cross); the catalogs read the memory store directly.
/// </summary>
internal static class WrappedStoreCluster
{
    public static async Task<InProcessTestCluster> StartAsync(Func<IGrainStorage, DeepCopier, IGrainStorage> wrap)
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) =>
        {
            var serialization = new ServiceCollection().AddSerializer().BuildServiceProvider();
            var store = new MemoryStore(new OrleansGrainStorageSerializer(serialization.GetRequiredService<Serializer>()));
            var wrapped = wrap(store, serialization.GetRequiredService<DeepCopier>());
            silo.Services.AddGrainStorage(StateNames.Provider, (_, _) => wrapped);
            silo.Services.AddSingleton<IJobCatalog>(store);
            silo.Services.AddSingleton<IDagCatalog>(store);
            silo.AddJobSchedulerMemoryReminders();
            silo.AddJobScheduler();
            silo.AddJobHandler<FlakyHandler>(FlakyHandler.Name);
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }
}
