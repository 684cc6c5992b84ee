using JobScheduler.Core.Storage;
using Orleans.Storage;
using static JobScheduler.Persistence.Sqlite.Tests.DagRows;
using static JobScheduler.Persistence.Sqlite.Tests.Rows;

namespace JobScheduler.Persistence.Sqlite.Tests;

/// <summary>
/// DAGs and their runs as rows: round trips and version fences through the grain storage, lists with filters and
/// keyset paging, recovery and due queries, retention, and what a DAG's delete takes with it.
/// </summary>
public sealed class SqliteDagCatalogTests : IAsyncLifetime
{
    private readonly TestDatabase _db = new();
    private SqliteDagCatalog Catalog => new(_db.Database);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private async Task<GrainState<DagGrainState>> PutDagAsync(DagGrainState dag)
    {
        var state = new GrainState<DagGrainState> { State = dag };
        await _db.Storage().WriteStateAsync(StateNames.Dag, DagGrain(dag.Dag!.Id), state);
        return state;
    }

    private async Task<GrainState<DagRunGrainState>> PutRunAsync(DagRunGrainState run)
    {
        var state = new GrainState<DagRunGrainState> { State = run };
        await _db.Storage().WriteStateAsync(StateNames.DagRun, RunGrain(run.Run!.Id), state);
        return state;
    }

    /// <summary>Writes an execution as its grain would: created running, then written again with its end and output if it ended.</summary>
    private async Task PutExecutionAsync(ExecutionGrainState execution)
    {
        var ended = execution.Info!;
        var state = new GrainState<ExecutionGrainState>
        {
            State = new ExecutionGrainState { Info = ended with { State = ExecutionState.Running, FinishedAt = null, Attempts = [Attempt(1, null, null)] } },
        };
        await _db.Storage().WriteStateAsync(StateNames.Execution, ExecutionGrain(ended.Id), state);
        if (ended.FinishedAt is not null)
        {
            state.State.Info = ended with { Attempts = [Attempt(1, AttemptOutcome.Succeeded, "out")] };
            await _db.Storage().WriteStateAsync(StateNames.Execution, ExecutionGrain(ended.Id), state);
        }
    }

    [Fact]
    public async Task DagAndRun_WrittenThenRead_RoundTrip_AndStaleWritesAreRefused()
    {
        var storage = _db.Storage();
        var dag = Dag("etl", tags: new() { ["team"] = "data" });
        dag.Runs = [new RunRecord { Id = DagRunId.For("etl", T0), ScheduledAt = T0 }];
        dag.Triggers = [new IdempotentTrigger { Key = "k", ExecutionId = DagRunId.For("etl", T0), At = T0 }];
        var first = await PutDagAsync(dag);
        var run = Run("etl", T0);
        run.CancelRequested = true;
        var runState = await PutRunAsync(run);

        var readDag = new GrainState<DagGrainState>();
        await storage.ReadStateAsync(StateNames.Dag, DagGrain("etl"), readDag);
        var readRun = new GrainState<DagRunGrainState>();
        await storage.ReadStateAsync(StateNames.DagRun, RunGrain(run.Run!.Id), readRun);
        Assert.Equal(("1", true), (readDag.ETag, readDag.RecordExists));
        Assert.Equal(StoredJson.Serialize(dag.Dag), StoredJson.Serialize(readDag.State!.Dag));
        Assert.Equal("k", readDag.State.Triggers.Single().Key);
        Assert.Equal(dag.Runs[0].Id, readDag.State.Runs.Single().Id);
        Assert.Equal(StoredJson.Serialize(run.Run), StoredJson.Serialize(readRun.State!.Run));
        Assert.Equal("extract", readRun.State.Request!.Steps.Single().Id);
        Assert.True(readRun.State.CancelRequested);

        // The first activation writes on; the one that read before it is refused, a second insert too.
        first.State!.Dag = first.State.Dag! with { State = JobState.Paused, NextFireAt = null };
        await storage.WriteStateAsync(StateNames.Dag, DagGrain("etl"), first);
        readDag.State.Dag = readDag.State.Dag! with { Owner = "stale" };
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateNames.Dag, DagGrain("etl"), readDag));
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateNames.Dag, DagGrain("etl"), new GrainState<DagGrainState> { State = Dag("etl") }));
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync(StateNames.Dag, DagGrain("etl"), readDag));
        runState.State!.Run = runState.State.Run! with { State = DagRunState.Succeeded, FinishedAt = T0.AddMinutes(1) };
        runState.State.Request = runState.State.Request! with { Steps = [] };
        await storage.WriteStateAsync(StateNames.DagRun, RunGrain(run.Run.Id), runState);
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateNames.DagRun, RunGrain(run.Run.Id), readRun));

        Assert.Equal(JobState.Paused, (await Catalog.QueryDagsAsync(new DagQuery())).Items.Single().State);
        Assert.Equal(DagRunState.Succeeded, (await Catalog.QueryRunsAsync("etl", new DagRunQuery())).Items.Single().State);
        var reread = new GrainState<DagRunGrainState>();
        await storage.ReadStateAsync(StateNames.DagRun, RunGrain(run.Run.Id), reread);
        // The request is written with the row, never again.
        Assert.Single(reread.State!.Request!.Steps);
    }

    [Fact]
    public async Task Dags_AreListedInOrdinalIdOrder_PagedAndFiltered_WithoutDeletedOnes()
    {
        await PutDagAsync(Dag("b", tags: new() { ["team"] = "billing", ["tier"] = "1" }));
        await PutDagAsync(Dag("a", owner: "bob", tags: new() { ["team"] = "ops" }));
        await PutDagAsync(Dag("B", state: JobState.Paused));
        await PutDagAsync(Dag("c"));
        await PutDagAsync(Dag("d", state: JobState.Deleted));

        var first = await Catalog.QueryDagsAsync(new DagQuery { Limit = 2 });
        var second = await Catalog.QueryDagsAsync(new DagQuery { Limit = 2, Cursor = first.Next });

        Assert.Equal(["B", "a"], first.Items.Select(d => d.Id));
        Assert.Equal(["b", "c"], second.Items.Select(d => d.Id));
        Assert.Null(second.Next);
        Assert.Equal(["B", "b", "c"], (await Catalog.QueryDagsAsync(new DagQuery { Owner = "alice" })).Items.Select(d => d.Id));
        Assert.Equal(["B"], (await Catalog.QueryDagsAsync(new DagQuery { State = JobState.Paused })).Items.Select(d => d.Id));
        Assert.Empty((await Catalog.QueryDagsAsync(new DagQuery { State = JobState.Deleted })).Items);
        Assert.Equal(["a", "b"], (await Catalog.QueryDagsAsync(new DagQuery { Tag = "team" })).Items.Select(d => d.Id));
        Assert.Equal(["b"], (await Catalog.QueryDagsAsync(new DagQuery { Tag = "team:billing" })).Items.Select(d => d.Id));
        Assert.Empty((await Catalog.QueryDagsAsync(new DagQuery { Tag = "team:nobody" })).Items);
        Assert.Single((await Catalog.QueryDagsAsync(new DagQuery { Limit = 0 })).Items);
    }

    [Fact]
    public async Task Runs_AreListedLatestFirst_PagedByScheduledAtThenId_AndFiltered()
    {
        for (var i = 0; i < 7; i++)
        {
            await PutRunAsync(Run("d", T0.AddSeconds(i), i % 3 == 0 ? DagRunState.Failed : DagRunState.Succeeded));
        }
        await PutRunAsync(Run("other", T0, DagRunState.Failed));

        var all = new List<DagRunInfo>();
        string? cursor = null;
        do
        {
            var page = await Catalog.QueryRunsAsync("d", new DagRunQuery { Limit = 2, Cursor = cursor });
            all.AddRange(page.Items);
            cursor = page.Next;
        }
        while (cursor is not null);

        Assert.Equal(Enumerable.Range(0, 7).Reverse().Select(i => T0.AddSeconds(i)), all.Select(r => r.ScheduledAt));
        var failedInWindow = await Catalog.QueryRunsAsync("d", new DagRunQuery { State = DagRunState.Failed, From = T0.AddSeconds(1), To = T0.AddSeconds(6) });
        Assert.Equal([T0.AddSeconds(3)], failedInWindow.Items.Select(r => r.ScheduledAt));
        Assert.Equal(5, (await Catalog.QueryRunsAsync("d", new DagRunQuery { From = T0.AddSeconds(1), To = T0.AddSeconds(6) })).Items.Length);
    }

    [Fact]
    public async Task Recovery_FindsUnfinishedRunsOldestFirst_AndDueDags()
    {
        await PutRunAsync(Run("r", T0.AddMinutes(3)));
        await PutRunAsync(Run("r", T0.AddMinutes(1)));
        await PutRunAsync(Run("r", T0.AddMinutes(2), DagRunState.Succeeded));
        await PutDagAsync(Dag("due-a"));
        await PutDagAsync(Dag("due-b", nextFireAt: T0.AddSeconds(30)));
        await PutDagAsync(Dag("later", nextFireAt: T0.AddHours(1)));
        await PutDagAsync(Dag("paused", state: JobState.Paused));

        Assert.Equal([DagRunId.For("r", T0.AddMinutes(1)), DagRunId.For("r", T0.AddMinutes(3))], await Catalog.FindUnfinishedRunsAsync(10));
        Assert.Equal(["due-a", "due-b"], await Catalog.FindDagsDueAsync(T0.AddMinutes(1), 10));
        Assert.Equal(["due-b"], await Catalog.FindDagsDueAsync(T0.AddMinutes(1), 10, afterId: "due-a"));
        Assert.Equal(["due-a"], await Catalog.FindDagsDueAsync(T0.AddMinutes(1), 10, dueAfter: T0.AddSeconds(30)));
        Assert.Equal(["due-b"], await Catalog.FindDagsDueAsync(T0.AddMinutes(1).AddTicks(-1), 10));
    }

    [Fact]
    public async Task Retention_DeletesFinishedRunsOnly_OldestFirst()
    {
        await PutRunAsync(Run("old", T0.AddMinutes(1), DagRunState.Succeeded));
        await PutRunAsync(Run("old", T0.AddMinutes(2)));
        await PutRunAsync(Run("old", T0.AddMinutes(3), DagRunState.Failed));
        await PutRunAsync(Run("old", T0.AddHours(2), DagRunState.Cancelled));

        Assert.Equal(1, await Catalog.DeleteRunsFinishedBeforeAsync(T0.AddHours(1), 1));
        Assert.Equal(1, await Catalog.DeleteRunsFinishedBeforeAsync(T0.AddHours(1), 10));
        Assert.Equal(0, await Catalog.DeleteRunsFinishedBeforeAsync(T0.AddHours(1), 10));

        Assert.Equal([DagRunState.Cancelled, DagRunState.Running], (await Catalog.QueryRunsAsync("old", new DagRunQuery())).Items.Select(r => r.State));
    }

    [Fact]
    public async Task ClearingADag_DeletesItsFinishedRunsAndStepExecutions_ButNotRunningOnesNorOtherDags()
    {
        var storage = _db.Storage();
        var dag = await PutDagAsync(Dag("a_b"));
        await PutRunAsync(Run("a_b", T0, DagRunState.Succeeded));
        await PutRunAsync(Run("a_b", T0.AddMinutes(1)));
        await PutExecutionAsync(StepExecution("a_b", "extract", T0, ExecutionState.Succeeded));
        await PutExecutionAsync(StepExecution("a_b", "load", T0, ExecutionState.Failed));
        var running = StepExecution("a_b", "extract", T0.AddMinutes(1), ExecutionState.Running);
        await PutExecutionAsync(running);
        // Look-alikes a LIKE would take in SQLite: '_' matches any character, case is ignored, 'a_b' prefixes 'a_bc'.
        ExecutionGrainState[] others =
        [
            StepExecution("axb", "extract", T0, ExecutionState.Succeeded),
            StepExecution("A_B", "extract", T0, ExecutionState.Succeeded),
            StepExecution("a_bc", "extract", T0, ExecutionState.Succeeded),
            StepExecution("ab", "extract", T0, ExecutionState.Succeeded),
            Execution("a_b", T0, ExecutionState.Succeeded),
        ];
        foreach (var other in others)
        {
            await PutExecutionAsync(other);
        }
        var a = await PutDagAsync(Dag("a"));
        var ofA = StepExecution("a", "extract", T0, ExecutionState.Succeeded);
        await PutExecutionAsync(ofA);
        await PutRunAsync(Run("a_bc", T0, DagRunState.Succeeded));

        await storage.ClearStateAsync(StateNames.Dag, DagGrain("a_b"), dag);

        Assert.Equal(["a"], (await Catalog.QueryDagsAsync(new DagQuery())).Items.Select(d => d.Id));
        Assert.Equal([DagRunState.Running], (await Catalog.QueryRunsAsync("a_b", new DagRunQuery())).Items.Select(r => r.State));
        Assert.Single((await Catalog.QueryRunsAsync("a_bc", new DagRunQuery())).Items);
        Assert.Equal(((string[])[running.Info!.Id, ofA.Info!.Id, .. others.Select(o => o.Info!.Id)]).Order(StringComparer.Ordinal), await ExecutionIdsAsync());
        // Their output went with them; the others' stays.
        Assert.Equal(others.Length + 1, await Scalar("SELECT count(*) FROM attempt_outputs"));
        Assert.Null(dag.ETag);

        await storage.ClearStateAsync(StateNames.Dag, DagGrain("a"), a);

        Assert.Equal(((string[])[running.Info.Id, .. others.Select(o => o.Info!.Id)]).Order(StringComparer.Ordinal), await ExecutionIdsAsync());
    }

    private Task<List<string>> ExecutionIdsAsync() =>
        _db.Database.ReadAsync(c =>
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

    private Task<long> Scalar(string sql) =>
        _db.Database.ReadAsync(c =>
        {
            using var command = c.CreateCommand();
            command.CommandText = sql;
            return (long)command.ExecuteScalar()!;
        });
}
