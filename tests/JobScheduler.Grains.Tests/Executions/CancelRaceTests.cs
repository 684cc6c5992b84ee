using JobScheduler.Core.Storage;
using Orleans.Serialization;
using Orleans.Storage;
using Orleans.TestingHost;

namespace JobScheduler.Grains.Tests.Executions;

/// <summary>
/// A store that lets two writes of one execution cross, the way a database does when two statements of one row are in
/// flight: the run loop's "retrying" write is held until the cancel's write has been sent (or 2 s pass), then commits
/// first; the cancel's write goes on with the version it was sent with. Writes that do not overlap pass straight
/// through. What each write sends (the state and the version it names) is taken when the grain calls, as a SQL store's is.
/// </summary>
public sealed class CrossingWritesStore(IGrainStorage inner, DeepCopier copier) : IGrainStorage
{
    private static readonly TimeSpan HoldAtMost = TimeSpan.FromSeconds(2);

    private readonly TaskCompletionSource _cancelSent = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _retryingCommitted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the run loop's "retrying" write has reached the store (and is being held).</summary>
    public TaskCompletionSource RetryingWriteHeld { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ReadStateAsync(stateName, grainId, grainState);

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var sent = new GrainState<T>(copier.Copy(grainState.State), grainState.ETag) { RecordExists = grainState.RecordExists };
        switch (grainState.State)
        {
            case ExecutionGrainState { CancelRequested: false, Info.State: ExecutionState.Retrying }:
                RetryingWriteHeld.TrySetResult();
                await Task.WhenAny(_cancelSent.Task, Task.Delay(HoldAtMost));
                await inner.WriteStateAsync(stateName, grainId, sent);
                _retryingCommitted.TrySetResult();
                break;
            case ExecutionGrainState { CancelRequested: true } when RetryingWriteHeld.Task.IsCompleted:
                _cancelSent.TrySetResult();
                await _retryingCommitted.Task.WaitAsync(HoldAtMost * 2);
                await inner.WriteStateAsync(stateName, grainId, sent);
                break;
            default:
                await inner.WriteStateAsync(stateName, grainId, sent);
                break;
        }
        grainState.ETag = sent.ETag;
        grainState.RecordExists = true;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ClearStateAsync(stateName, grainId, grainState);
}

public sealed class CrossingWritesCluster : IAsyncLifetime
{
    /// <summary>The silo's store (the cluster runs in this process).</summary>
    public static CrossingWritesStore Store { get; private set; } = null!;

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Cluster = await WrappedStoreCluster.StartAsync((store, copier) => Store = new CrossingWritesStore(store, copier));

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>
/// A cancel that arrives while the run loop's own write of the same execution is in flight. The run loop runs in the
/// background of the execution's activation, so a cancel request interleaves with it at every await. Unserialised, both
/// writes would name the same version, the run loop's would commit first, and the cancel would be refused as a version
/// conflict — a 500 to the caller, with the attempt left to run after its backoff. Two guards stand in the way: the
/// execution's <c>ExecutionWriter</c> and, since Orleans 10.4, the framework's own queue of one state's operations
/// (dotnet/orleans#10255); this test holds as long as either does, <see cref="ExecutionWriterTests"/> shows ours alone.
/// </summary>
public sealed class CancelRaceTests(CrossingWritesCluster fixture) : IClassFixture<CrossingWritesCluster>
{
    [Fact]
    public async Task CancelWhileTheRunLoopWritesRetrying_AnswersCancelled_NotAVersionConflict()
    {
        var job = fixture.Cluster.Client.GetGrain<IJobGrain>("cancel-crossing-write");
        await job.PutAsync(new JobSpec
        {
            Schedule = ScheduleSpec.Manual(),
            Action = ActionSpec.RunHandler(FlakyHandler.Name, new { succeedOn = 2 }),
            Retry = new RetryPolicy { MaxAttempts = 2, InitialBackoff = TimeSpan.FromMinutes(1), Jitter = 0 },
        }, "tester", createOnly: false);
        var execution = fixture.Cluster.Client.GetGrain<IExecutionGrain>((await job.TriggerAsync(null)).ExecutionId!);

        // The first attempt fails at once; the run loop's write of "retrying" is now in flight.
        await CrossingWritesCluster.Store.RetryingWriteHeld.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var cancelled = await execution.CancelAsync();

        Assert.Equal(ExecutionState.Cancelled, cancelled!.State);
        Assert.Single(cancelled.Attempts);
        var listed = await job.ListExecutionsAsync(new ExecutionQuery());
        Assert.Equal(ExecutionState.Cancelled, listed!.Items.Single().State);
    }
}
