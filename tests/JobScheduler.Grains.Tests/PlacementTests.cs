using JobScheduler.Core.Storage;
using JobScheduler.Grains.Hosting;
using JobScheduler.Grains.Nodes;
using JobScheduler.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime.Hosting;
using Orleans.Serialization;
using Orleans.Storage;
using Orleans.TestingHost;

namespace JobScheduler.Grains.Tests;

/// <summary>Two silos of 1000 millicores and 1000 MB each: placement by free capacity, waiting in priority order, drain.</summary>
public sealed class TwoNodeCluster : IAsyncLifetime
{
    // One store for both in-process silos, as PostgreSQL would be: a grain re-activated on the other silo finds its state.
    private readonly MemoryStore _storage = new(new OrleansGrainStorageSerializer(
        new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>()));

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(2);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddGrainStorage(JobSchedulerSiloExtensions.StorageName, (_, _) => _storage);
            silo.UseInMemoryReminderService();
            silo.Services.AddSingleton<IJobCatalog>(_storage);
            silo.Services.AddSingleton<IDagCatalog>(_storage);
            silo.Services.Configure<NodeOptions>(o => (o.CpuMillis, o.MemoryMb) = (1000, 1000));
            silo.AddJobScheduler();
            silo.AddJobHandler<BlockingHandler>(BlockingHandler.Name);
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    public async Task<NodeInfo[]> NodesAsync() => await Client.GetGrain<IClusterNodesGrain>(0).GetNodesAsync();
}

public sealed class PlacementTests(TwoNodeCluster fixture) : IClassFixture<TwoNodeCluster>
{
    private IJobGrain Job(string id) => fixture.Client.GetGrain<IJobGrain>(id);

    private async Task CreateAsync(string id, int cpuMillis, int priority = 0, string handler = BlockingHandler.Name)
    {
        var result = await Job(id).PutAsync(new JobSpec
        {
            Schedule = ScheduleSpec.Manual(),
            Action = ActionSpec.RunHandler(handler),
            Resources = new ResourceRequest { CpuMillis = cpuMillis, MemoryMb = 100 },
            Priority = priority,
        }, "tester", createOnly: false);
        Assert.True(result.IsValid, string.Join("; ", result.Errors.Select(e => $"{e.Field}: {e.Message}")));
    }

    private async Task<ExecutionInfo> InfoAsync(string executionId) =>
        (await fixture.Client.GetGrain<IExecutionGrain>(executionId).GetAsync())!;

    private async Task<ExecutionInfo> CompletedAsync(string executionId) =>
        (await fixture.Client.GetGrain<IExecutionGrain>(executionId).WaitAsync(TimeSpan.FromSeconds(20)))!;

    [Fact]
    public async Task FullNodes_MakeWorkWait_ThenTheHighestPriorityStartsFirst()
    {
        await CreateAsync("whole-node", 1000);
        await CreateAsync("low", 1000, priority: 0);
        await CreateAsync("high", 1000, priority: 9);
        var first = (await Job("whole-node").TriggerAsync(null)).ExecutionId!;
        var second = (await Job("whole-node").TriggerAsync(null)).ExecutionId!;
        await Task.WhenAll(BlockingHandler.Started(first), BlockingHandler.Started(second));

        var low = (await Job("low").TriggerAsync(null)).ExecutionId!;
        var high = (await Job("high").TriggerAsync(null)).ExecutionId!;

        // Work that reserves nothing is not held up behind them.
        await Job("free").PutAsync(new JobSpec { Schedule = ScheduleSpec.Manual(), Action = ActionSpec.RunHandler("noop") }, "tester", createOnly: false);
        var free = await CompletedAsync((await Job("free").TriggerAsync(null)).ExecutionId!);
        Assert.Equal(ExecutionState.Succeeded, free.State);

        // Both nodes are full: one whole-node attempt each, and the two newcomers wait.
        var nodes = await fixture.NodesAsync();
        Assert.Equal(2, nodes.Length);
        Assert.All(nodes, n => Assert.Equal(1000, n.ReservedCpuMillis));
        Assert.NotEqual((await InfoAsync(first)).Attempts[0].Node, (await InfoAsync(second)).Attempts[0].Node);
        Assert.Equal(2, nodes[0].PendingInCluster);
        Assert.Equal(ExecutionState.Pending, (await InfoAsync(low)).State);
        Assert.Equal(ExecutionState.Pending, (await InfoAsync(high)).State);

        // Capacity frees: the high-priority execution goes first although it came later.
        BlockingHandler.Release(first);
        await CompletedAsync(first);
        await BlockingHandler.Started(high);
        Assert.Equal(ExecutionState.Pending, (await InfoAsync(low)).State);

        BlockingHandler.Release(second);
        await BlockingHandler.Started(low);
        BlockingHandler.Release(high);
        BlockingHandler.Release(low);
        await CompletedAsync(high);
        await CompletedAsync(low);
        Assert.All(await fixture.NodesAsync(), n => Assert.Equal(0, n.ReservedCpuMillis));
    }

    /// <summary>Regression: a fresh ledger (just moved to another silo, say) accepted any size before the first heartbeat.</summary>
    [Fact]
    public async Task CheckFitsAsync_FreshLedgerFirstReportComesLater_JudgesByThatReport()
    {
        // No heartbeat reaches ledger 1: it stays fresh until this test reports to it.
        var ledger = fixture.Client.GetGrain<ICapacityLedgerGrain>(1);
        var checking = ledger.CheckFitsAsync(new ResourceRequest { CpuMillis = 1_000_000, MemoryMb = 10 });
        await Task.Delay(TimeSpan.FromMilliseconds(300));

        await ledger.ReportAsync(new NodeReport("127.0.0.9:1", "S127.0.0.9:1:1", 1000, 1000, false, 0, 0, 0, 0, []));

        var error = Assert.Single(await checking);
        Assert.Equal("resources.cpuMillis", error.Field);
    }

    [Fact]
    public async Task CheckFitsAsync_NoNodeEverReports_AcceptsAfterABoundedWait()
    {
        var ledger = fixture.Client.GetGrain<ICapacityLedgerGrain>(2);
        var waited = System.Diagnostics.Stopwatch.StartNew();

        var errors = await ledger.CheckFitsAsync(new ResourceRequest { CpuMillis = 1_000_000, MemoryMb = 10 });

        Assert.Empty(errors);
        Assert.InRange(waited.Elapsed, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task RequestLargerThanAnyNode_IsRejectedAtSubmission()
    {
        var result = await Job("too-big").PutAsync(new JobSpec
        {
            Schedule = ScheduleSpec.Manual(),
            Action = ActionSpec.RunHandler("noop"),
            Resources = new ResourceRequest { CpuMillis = 4000, MemoryMb = 10 },
        }, "tester", createOnly: false);

        var error = Assert.Single(result.Errors);
        Assert.Equal("resources.cpuMillis", error.Field);
        Assert.Contains("the largest node offers 1000", error.Message);
        Assert.Null(await Job("too-big").GetAsync());
    }

    [Fact]
    public async Task DrainingNode_GetsNoNewWork()
    {
        var nodes = await fixture.NodesAsync();
        var drained = nodes[0].Id;
        var updated = await fixture.Client.GetGrain<INodeGrain>(drained).SetStateAsync(NodeState.Draining);
        Assert.Equal(NodeState.Draining, updated!.State);
        await CreateAsync("small", 100, handler: "noop");

        var runs = new List<ExecutionInfo>();
        for (var i = 0; i < 6; i++)
        {
            runs.Add(await CompletedAsync((await Job("small").TriggerAsync(null)).ExecutionId!));
        }

        await fixture.Client.GetGrain<INodeGrain>(drained).SetStateAsync(NodeState.Active);
        Assert.All(runs, r => Assert.Equal(ExecutionState.Succeeded, r.State));
        Assert.All(runs, r => Assert.NotEqual(drained, r.Attempts.Single().Node));
        Assert.Equal(NodeState.Active, (await fixture.NodesAsync()).Single(n => n.Id == drained).State);
    }
}
