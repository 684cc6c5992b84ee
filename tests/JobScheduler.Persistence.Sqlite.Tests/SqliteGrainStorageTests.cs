using JobScheduler.Core.Storage;
using Orleans.Storage;
using static JobScheduler.Persistence.Sqlite.Tests.Rows;

namespace JobScheduler.Persistence.Sqlite.Tests;

/// <summary>Grain state as rows: version fencing, outputs stored once, and what clearing a job takes with it.</summary>
public sealed class SqliteGrainStorageTests : IAsyncLifetime
{
    private readonly TestDatabase _db = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Fact]
    public async Task Writes_AreFencedByVersion_AStaleActivationIsRefused()
    {
        var storage = _db.Storage();
        var first = new GrainState<JobGrainState> { State = Job("j1") };
        await storage.WriteStateAsync(StateNames.Job, JobGrain("j1"), first);
        Assert.Equal("1", first.ETag);

        var stale = new GrainState<JobGrainState>();
        await storage.ReadStateAsync(StateNames.Job, JobGrain("j1"), stale);
        Assert.Equal("1", stale.ETag);
        Assert.Equal("j1", stale.State!.Job!.Id);

        await storage.WriteStateAsync(StateNames.Job, JobGrain("j1"), first);
        Assert.Equal("2", first.ETag);
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateNames.Job, JobGrain("j1"), stale));
        // A second insert (no ETag) of an existing row is refused as well.
        await Assert.ThrowsAsync<InconsistentStateException>(() =>
            storage.WriteStateAsync(StateNames.Job, JobGrain("j1"), new GrainState<JobGrainState> { State = Job("j1") }));
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync(StateNames.Job, JobGrain("j1"), stale));
    }

    [Fact]
    public async Task OtherStates_AreOpaquePayloads_FencedTheSameWay()
    {
        var storage = _db.Storage();
        var grain = GrainId.Create("node", "n1");
        var state = new GrainState<List<string>> { State = ["hello"] };
        await storage.WriteStateAsync("node", grain, state);
        state.State.Add("again");
        await storage.WriteStateAsync("node", grain, state);

        var read = new GrainState<List<string>>();
        await storage.ReadStateAsync("node", grain, read);
        Assert.Equal(["hello", "again"], read.State);
        Assert.Equal(("2", true), (read.ETag, read.RecordExists));
        await Assert.ThrowsAsync<InconsistentStateException>(() =>
            storage.WriteStateAsync("node", grain, new GrainState<List<string>> { State = [], ETag = "1" }));

        await storage.ClearStateAsync("node", grain, read);
        var gone = new GrainState<List<string>>();
        await storage.ReadStateAsync("node", grain, gone);
        Assert.False(gone.RecordExists);
    }

    [Fact]
    public async Task FinishedAttemptOutput_IsStoredOnce_AndReadBack()
    {
        var storage = _db.Storage();
        var execution = Execution("j1", T0, ExecutionState.Running, Attempt(1, null, null));
        var grain = ExecutionGrain(execution.Info!.Id);
        var state = new GrainState<ExecutionGrainState> { State = execution };
        await storage.WriteStateAsync(StateNames.Execution, grain, state);

        execution.Info = execution.Info with { Attempts = [Attempt(1, AttemptOutcome.Failed, "first\n"), Attempt(2, null, null)] };
        await storage.WriteStateAsync(StateNames.Execution, grain, state);
        Assert.Equal(1, execution.OutputsStored);

        execution.Info = execution.Info with
        {
            State = ExecutionState.Succeeded,
            FinishedAt = T0.AddSeconds(5),
            Attempts = [Attempt(1, AttemptOutcome.Failed, "first\n"), Attempt(2, AttemptOutcome.Succeeded, "second\n")],
        };
        await storage.WriteStateAsync(StateNames.Execution, grain, state);

        var read = new GrainState<ExecutionGrainState>();
        await storage.ReadStateAsync(StateNames.Execution, grain, read);
        Assert.Equal(["first\n", "second\n"], read.State!.Info!.Attempts.Select(a => a.Output));
        Assert.Equal(2, read.State.OutputsStored);
        Assert.Equal(2L, await Scalar("SELECT count(*) FROM attempt_outputs"));
        // The row's document holds no output: it is stored once, beside it.
        Assert.Equal(0L, await Scalar("SELECT count(*) FROM executions WHERE document LIKE '%first%'"));
    }

    [Fact]
    public async Task ClearingAJob_DeletesItsFinishedExecutions_ButNotRunningOnes()
    {
        var storage = _db.Storage();
        var job = new GrainState<JobGrainState> { State = Job("j1") };
        await storage.WriteStateAsync(StateNames.Job, JobGrain("j1"), job);
        var done = Execution("j1", T0, ExecutionState.Running, Attempt(1, null, null));
        var running = Execution("j1", T0.AddMinutes(1), ExecutionState.Running, Attempt(1, null, null));
        var other = Execution("j2", T0, ExecutionState.Succeeded, Attempt(1, AttemptOutcome.Succeeded, null));
        var doneState = new GrainState<ExecutionGrainState> { State = done };
        await storage.WriteStateAsync(StateNames.Execution, ExecutionGrain(done.Info!.Id), doneState);
        done.Info = done.Info with { State = ExecutionState.Succeeded, FinishedAt = T0.AddSeconds(1), Attempts = [Attempt(1, AttemptOutcome.Succeeded, "out")] };
        await storage.WriteStateAsync(StateNames.Execution, ExecutionGrain(done.Info.Id), doneState);
        foreach (var execution in new[] { running, other })
        {
            await storage.WriteStateAsync(StateNames.Execution, ExecutionGrain(execution.Info!.Id), new GrainState<ExecutionGrainState> { State = execution });
        }
        Assert.Equal(1L, await Scalar("SELECT count(*) FROM attempt_outputs"));

        await storage.ClearStateAsync(StateNames.Job, JobGrain("j1"), job);

        var ids = await _db.Database.ReadAsync(c =>
        {
            using var command = c.CreateCommand();
            command.CommandText = "SELECT id FROM executions ORDER BY id";
            using var reader = command.ExecuteReader();
            var list = new List<string>();
            while (reader.Read())
            {
                list.Add(reader.GetString(0));
            }
            return list;
        });
        Assert.Equal(new[] { running.Info!.Id, other.Info!.Id }.Order(StringComparer.Ordinal), ids);
        Assert.Equal(0L, await Scalar("SELECT count(*) FROM jobs"));
        Assert.Equal(0L, await Scalar("SELECT count(*) FROM attempt_outputs"));
        Assert.Null(job.ETag);
    }

    private Task<long> Scalar(string sql) =>
        _db.Database.ReadAsync(c =>
        {
            using var command = c.CreateCommand();
            command.CommandText = sql;
            return (long)command.ExecuteScalar()!;
        });
}
