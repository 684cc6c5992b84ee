using JobScheduler.Core.Storage;
using JobScheduler.Grains.Executions;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Storage;

namespace JobScheduler.Grains.Tests.Executions;

/// <summary>
/// An execution's writer serialises its writes itself. Orleans 10.4 also queues the operations of one
/// <c>IPersistentState</c> (dotnet/orleans#10255), so through a grain the two guards overlap (<see cref="CancelRaceTests"/>);
/// here the state is one that does not queue — as Orleans' was before that change — so only the writer stands between a
/// cancel and the run loop naming the same version.
/// </summary>
public sealed class ExecutionWriterTests
{
    [Fact]
    public async Task TwoWritesStartedTogether_BothLand_EachNamingTheVersionTheOtherLeft()
    {
        var state = new RowLikeState();
        var writer = new ExecutionWriter(state, "e1", TimeProvider.System, NullLogger.Instance);
        state.State.Info = new ExecutionInfo { Id = "e1", JobId = "j", State = ExecutionState.Retrying };

        // The run loop's write is in flight when the cancel's write starts (the cancel request interleaves with it).
        var runLoop = writer.WriteAsync();
        state.State.CancelRequested = true;
        var cancel = writer.WriteAsync();
        await Task.WhenAll(runLoop, cancel);

        Assert.Equal(2, state.StoredVersion);
        Assert.True(state.Stored!.CancelRequested);
    }

    /// <summary>A row with a version: a write names the version it was sent with, takes a while, and is refused if another landed meanwhile.</summary>
    private sealed class RowLikeState : IPersistentState<ExecutionGrainState>
    {
        public ExecutionGrainState State { get; set; } = new();
        public string? Etag { get; set; }
        public bool RecordExists => Etag is not null;
        public int StoredVersion { get; private set; }
        public ExecutionGrainState? Stored { get; private set; }

        public async Task WriteStateAsync()
        {
            var named = Etag is null ? 0 : int.Parse(Etag);
            var sent = new ExecutionGrainState { Info = State.Info, Request = State.Request, CancelRequested = State.CancelRequested };
            await Task.Delay(50);
            if (named != StoredVersion)
            {
                throw new InconsistentStateException($"version {named} is stale: the row is at {StoredVersion}", $"{StoredVersion}", $"{named}");
            }
            StoredVersion++;
            Stored = sent;
            Etag = $"{StoredVersion}";
        }

        public Task ReadStateAsync() => Task.CompletedTask;

        public Task ClearStateAsync() => Task.CompletedTask;
    }
}
