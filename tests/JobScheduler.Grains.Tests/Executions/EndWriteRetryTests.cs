using JobScheduler.Core.Storage;
using Orleans.Storage;
using Orleans.TestingHost;

namespace JobScheduler.Grains.Tests.Executions;

/// <summary>A store that refuses an execution's first write of its end once, as a database that is restarting does.</summary>
public sealed class EndWriteFailsOnceStore(IGrainStorage inner) : IGrainStorage
{
    private int _failed;

    /// <summary>Completes when the end's first write has been refused (the writer then waits its backoff and tries again).</summary>
    public TaskCompletionSource EndWriteRefused { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ReadStateAsync(stateName, grainId, grainState);

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (grainState.State is ExecutionGrainState { Info.IsTerminal: true } && Interlocked.Exchange(ref _failed, 1) == 0)
        {
            EndWriteRefused.TrySetResult();
            throw new IOException("the database is restarting");
        }
        return inner.WriteStateAsync(stateName, grainId, grainState);
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ClearStateAsync(stateName, grainId, grainState);
}

public sealed class EndWriteFailsOnceCluster : IAsyncLifetime
{
    /// <summary>The silo's store (the cluster runs in this process).</summary>
    public static EndWriteFailsOnceStore Store { get; private set; } = null!;

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Cluster = await WrappedStoreCluster.StartAsync((store, _) => Store = new EndWriteFailsOnceStore(store));

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>
/// An execution whose end could not be stored at once (storage away) is read while its writer waits to try again — by
/// the maintenance sweep, the API or a client. A finished execution re-reads its row on a read (retention may have
/// dropped it), and that read used to overwrite the end not yet stored with the row before it: the retried write then
/// stored `running`, and the activation, alive, answered `running` for ever (chaos seed 31337, docs/reliability.md
/// finding 14).
/// </summary>
public sealed class EndWriteRetryTests(EndWriteFailsOnceCluster fixture) : IClassFixture<EndWriteFailsOnceCluster>
{
    [Fact]
    public async Task ReadWhileTheEndsWriteIsRetried_TheEndIsStoredAndAnnounced()
    {
        var job = fixture.Cluster.Client.GetGrain<IJobGrain>("end-write-retried");
        await job.PutAsync(new JobSpec { Schedule = ScheduleSpec.Manual(), Action = ActionSpec.RunHandler(FlakyHandler.Name, new { succeedOn = 1 }) }, "tester", createOnly: false);
        var execution = fixture.Cluster.Client.GetGrain<IExecutionGrain>((await job.TriggerAsync(null)).ExecutionId!);

        // The attempt succeeded; its end's write was refused and is retried after a backoff. A read comes meanwhile.
        await EndWriteFailsOnceCluster.Store.EndWriteRefused.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await execution.GetAsync();
        var done = await execution.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(ExecutionState.Succeeded, done!.State);
        Assert.Equal(ExecutionState.Succeeded, (await execution.GetAsync())!.State);
        var stored = await job.ListExecutionsAsync(new ExecutionQuery());
        Assert.Equal(ExecutionState.Succeeded, stored!.Items.Single().State);
    }
}
