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
/// An in-process cluster on the memory store whose grain state goes through a wrapper of the test's making (a slow
/// store, one that refuses a write, one that lets two writes cross); the catalogs read the memory store directly. Its
/// silos (one unless asked) share that store and one reminder table, as silos on one database would.
/// </summary>
internal static class WrappedStoreCluster
{
    public static async Task<InProcessTestCluster> StartAsync(Func<IGrainStorage, DeepCopier, IGrainStorage> wrap, short silos = 1)
    {
        var serialization = new ServiceCollection().AddSerializer().BuildServiceProvider();
        var store = new MemoryStore(new OrleansGrainStorageSerializer(serialization.GetRequiredService<Serializer>()));
        var wrapped = wrap(store, serialization.GetRequiredService<DeepCopier>());
        var reminders = new InProcessReminderTable();
        var builder = new InProcessTestClusterBuilder(silos);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddGrainStorage(StateNames.Provider, (_, _) => wrapped);
            silo.Services.AddSingleton<IJobCatalog>(store);
            silo.Services.AddSingleton<IDagCatalog>(store);
            silo.AddReminders();
            silo.Services.AddSingleton<IReminderTable>(reminders);
            silo.AddJobScheduler();
            silo.AddJobHandler<FlakyHandler>(FlakyHandler.Name);
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }
}
