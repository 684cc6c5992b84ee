using JobScheduler.Core.Storage;
using Orleans.Serialization;
using Orleans.Storage;
using Orleans.TestingHost;

namespace JobScheduler.Grains.Tests;

/// <summary>
/// A store whose execution writes take a while, as a database's do: what a write sends (the state and the version it
/// names) is taken when the grain calls, exactly as a SQL store does. Two writes of one grain in flight at once conflict.
/// </summary>
public sealed class SlowWritesStore(IGrainStorage inner, DeepCopier copier, TimeSpan delay) : IGrainStorage
{
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ReadStateAsync(stateName, grainId, grainState);

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (stateName != StateNames.Execution)
        {
            await inner.WriteStateAsync(stateName, grainId, grainState);
            return;
        }
        var sent = new GrainState<T>(copier.Copy(grainState.State), grainState.ETag) { RecordExists = grainState.RecordExists };
        await Task.Delay(delay);
        await inner.WriteStateAsync(stateName, grainId, sent);
        grainState.ETag = sent.ETag;
        grainState.RecordExists = true;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ClearStateAsync(stateName, grainId, grainState);
}

public sealed class SlowWritesCluster : IAsyncLifetime
{
    public static readonly TimeSpan WriteDelay = TimeSpan.FromMilliseconds(300);

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Cluster = await WrappedStoreCluster.StartAsync((store, copier) => new SlowWritesStore(store, copier, WriteDelay));

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

public sealed class ConcurrentWriteTests(SlowWritesCluster fixture) : IClassFixture<SlowWritesCluster>
{
    [Fact]
    public async Task CancelWhileTheAttemptFinishes_AnswersAndEndsTheExecution_NotAVersionConflict()
    {
        var job = fixture.Cluster.Client.GetGrain<IJobGrain>("cancel-race");
        await job.PutAsync(new JobSpec { Schedule = ScheduleSpec.Manual(), Action = ActionSpec.RunHandler("sleep", new { ms = 100 }) }, "tester", createOnly: false);
        var id = (await job.TriggerAsync(null)).ExecutionId!;
        var execution = fixture.Cluster.Client.GetGrain<IExecutionGrain>(id);

        // The cancel's write is in flight when the attempt ends and the run loop writes the outcome: before writes
        // were serialised, both named the same version and one was refused (a 500 for the cancel, or a run loop that
        // stepped aside and left the execution running for ever).
        var cancelled = await execution.CancelAsync();
        var done = await execution.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.NotNull(cancelled);
        Assert.True(done!.IsTerminal, $"the execution is still {done.State}");
        Assert.Contains(done.State, new[] { ExecutionState.Cancelled, ExecutionState.Succeeded });
        var listed = await job.ListExecutionsAsync(new ExecutionQuery());
        Assert.Equal(done.State, listed!.Items.Single().State);
    }

    [Fact]
    public async Task CancelDuringARetryBackoff_EndsTheExecutionAtOnce()
    {
        var job = fixture.Cluster.Client.GetGrain<IJobGrain>("cancel-during-backoff");
        await job.PutAsync(new JobSpec
        {
            Schedule = ScheduleSpec.Manual(),
            Action = ActionSpec.RunHandler(FlakyHandler.Name, new { succeedOn = 3 }),
            Retry = new RetryPolicy { MaxAttempts = 3, InitialBackoff = TimeSpan.FromMinutes(1), Jitter = 0 },
        }, "tester", createOnly: false);
        var execution = fixture.Cluster.Client.GetGrain<IExecutionGrain>((await job.TriggerAsync(null)).ExecutionId!);

        // The first attempt fails at once and the run loop records "retrying" (a write that takes 300 ms here), then waits
        // out a one-minute backoff; the cancel comes during that wait. The loop used to wake from the cancelled wait, see
        // "retrying" with a resume time and wait again: the cancel answered "retrying" after 15 s and the attempt ran later.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((await execution.GetAsync())!.State != ExecutionState.Retrying && DateTime.UtcNow < deadline)
        {
            await Task.Delay(1);
        }
        var cancelled = await execution.CancelAsync();

        Assert.Equal(ExecutionState.Cancelled, cancelled!.State);
        Assert.Single(cancelled.Attempts);
    }
}
