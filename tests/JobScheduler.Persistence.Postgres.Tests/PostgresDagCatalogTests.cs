using JobScheduler.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orleans.Serialization;
using Orleans.Storage;

namespace JobScheduler.Persistence.Postgres.Tests;

/// <summary>
/// DAGs and their runs as rows on a real PostgreSQL: round trips through the grain storage, version fences, lists with
/// filters and keyset paging, recovery and due queries, retention, and what a DAG's delete takes with it.
/// </summary>
public sealed class PostgresDagCatalogTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly PostgresDatabase _database = new();
    private NpgsqlDataSource _dataSource = null!;
    private PostgresBatcher _batcher = null!;
    private PostgresDagCatalog _catalog = null!;
    private PostgresJobCatalog _jobs = null!;
    private PostgresGrainStorage _storage = null!;

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        _dataSource = _database.CreateDataSource();
        await new PostgresSchema(_dataSource, NullLogger<PostgresSchema>.Instance).EnsureAsync(apply: true, CancellationToken.None);
        _batcher = new PostgresBatcher(_dataSource);
        _catalog = new PostgresDagCatalog(_dataSource, _batcher);
        _jobs = new PostgresJobCatalog(_dataSource, _batcher);
        _storage = new PostgresGrainStorage("test", _batcher, new OrleansGrainStorageSerializer(
            new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>()));
    }

    public async Task DisposeAsync()
    {
        await _batcher.DisposeAsync();
        await _dataSource.DisposeAsync();
        await _database.DisposeAsync();
    }

    private static DagGrainState Dag(string id, string owner = "o", JobState state = JobState.Active, Dictionary<string, string>? tags = null, DateTimeOffset? nextFireAt = null) => new()
    {
        Dag = new DagInfo(new DagSpec
        {
            Schedule = ScheduleSpec.Cron("0 * * * *"),
            Tags = tags,
            Steps = [new DagStepSpec { Id = "extract", Action = ActionSpec.RunHandler("noop") }],
        })
        {
            Id = id,
            Owner = owner,
            State = state,
            CreatedAt = T0,
            UpdatedAt = T0,
            // An offset other than UTC on purpose: instants from clients may carry one.
            NextFireAt = state == JobState.Active ? (nextFireAt ?? T0.AddHours(1)).ToOffset(TimeSpan.FromHours(2)) : null,
        },
        PlannedAt = T0,
    };

    private static DagRunGrainState Run(string dagId, int minute, DagRunState state) => new()
    {
        Run = new DagRunInfo
        {
            Id = DagRunId.For(dagId, T0.AddMinutes(minute)),
            DagId = dagId,
            Owner = "o",
            State = state,
            ScheduledAt = T0.AddMinutes(minute),
            StartedAt = T0.AddMinutes(minute),
            FinishedAt = state == DagRunState.Running ? null : T0.AddMinutes(minute).AddSeconds(30),
            Steps = [new DagStepRunInfo { Id = "extract", State = state == DagRunState.Running ? StepState.Running : StepState.Succeeded }],
        },
        Request = new DagRunRequest { DagId = dagId, Owner = "o", ScheduledAt = T0.AddMinutes(minute), Steps = [new DagStepSpec { Id = "extract", Action = ActionSpec.RunHandler("noop") }] },
    };

    private static ExecutionGrainState StepExecution(string dagId, string stepId, int minute, ExecutionState state)
    {
        var runId = DagRunId.For(dagId, T0.AddMinutes(minute));
        var finished = state is ExecutionState.Succeeded or ExecutionState.Failed;
        return new ExecutionGrainState
        {
            Info = new ExecutionInfo
            {
                Id = DagRunId.StepExecution(runId, stepId, 1),
                JobId = DagRunId.StepJobId(dagId, stepId),
                Owner = "o",
                ScheduledAt = T0.AddMinutes(minute),
                CreatedAt = T0.AddMinutes(minute),
                State = state,
                FinishedAt = finished ? T0.AddMinutes(minute).AddSeconds(1) : null,
                Attempts = [new AttemptInfo { Number = 1, Node = "n", StartedAt = T0.AddMinutes(minute), FinishedAt = finished ? T0.AddMinutes(minute).AddSeconds(1) : null, Outcome = finished ? AttemptOutcome.Succeeded : null, Output = finished ? "out" : null }],
            },
        };
    }

    private async Task<GrainState<DagGrainState>> SaveDagAsync(DagGrainState dag)
    {
        var state = new GrainState<DagGrainState>(dag);
        await _storage.WriteStateAsync(StateNames.Dag, GrainId.Create(StateNames.Dag, dag.Dag!.Id), state);
        return state;
    }

    private async Task<GrainState<DagRunGrainState>> SaveRunAsync(DagRunGrainState run)
    {
        var state = new GrainState<DagRunGrainState>(run);
        await _storage.WriteStateAsync(StateNames.DagRun, GrainId.Create(StateNames.DagRun, run.Run!.Id), state);
        return state;
    }

    /// <summary>Writes a step's execution as its grain would: created, then (if finished) written again with its outcome and output.</summary>
    private async Task SaveExecutionAsync(ExecutionGrainState execution)
    {
        var grainId = GrainId.Create(StateNames.Execution, execution.Info!.Id);
        var finished = execution.Info;
        var state = new GrainState<ExecutionGrainState>(new ExecutionGrainState
        {
            Info = finished with { State = ExecutionState.Running, FinishedAt = null, Attempts = [finished.Attempts[0] with { FinishedAt = null, Outcome = null, Output = null }] },
        });
        await _storage.WriteStateAsync(StateNames.Execution, grainId, state);
        if (finished.FinishedAt is not null)
        {
            state.State!.Info = finished;
            await _storage.WriteStateAsync(StateNames.Execution, grainId, state);
        }
    }

    private async Task<List<string>> ExecutionIdsAsync()
    {
        await using var command = _dataSource.CreateCommand("SELECT id FROM js_executions ORDER BY id");
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new List<string>();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetString(0));
        }
        return ids;
    }

    [Fact]
    public async Task DagAndRun_WrittenThenRead_RoundTripTheirGrainStates()
    {
        var dag = Dag("etl", tags: new() { ["team"] = "data" });
        dag.Runs = [new RunRecord { Id = DagRunId.For("etl", T0), ScheduledAt = T0, State = DagRunState.Running }];
        dag.Waiters = [new SuccessWaiter { RunId = DagRunId.For("other", T0), StepId = "wait", Since = T0, Until = T0.AddHours(1) }];
        await SaveDagAsync(dag);
        var run = Run("etl", 0, DagRunState.Running);
        run.CancelRequested = true;
        await SaveRunAsync(run);

        var readDag = new GrainState<DagGrainState>();
        await _storage.ReadStateAsync(StateNames.Dag, GrainId.Create(StateNames.Dag, "etl"), readDag);
        var readRun = new GrainState<DagRunGrainState>();
        await _storage.ReadStateAsync(StateNames.DagRun, GrainId.Create(StateNames.DagRun, run.Run!.Id), readRun);

        Assert.Equal(("1", true), (readDag.ETag, readDag.RecordExists));
        Assert.Equal(StoredJson.Serialize(dag.Dag), StoredJson.Serialize(readDag.State!.Dag));
        Assert.Equal(dag.Runs[0].Id, readDag.State!.Runs.Single().Id);
        Assert.Equal("wait", readDag.State!.Waiters.Single().StepId);
        Assert.Equal(("1", true), (readRun.ETag, readRun.RecordExists));
        Assert.Equal(StoredJson.Serialize(run.Run), StoredJson.Serialize(readRun.State!.Run));
        Assert.Equal("extract", readRun.State!.Request!.Steps.Single().Id);
        Assert.True(readRun.State!.CancelRequested);
    }

    [Fact]
    public async Task RunRequest_IsWrittenWithTheRow_AndNeverRewritten()
    {
        var state = await SaveRunAsync(Run("etl", 0, DagRunState.Running));
        state.State!.Run = state.State!.Run! with { State = DagRunState.Succeeded, FinishedAt = T0.AddMinutes(1) };
        state.State!.Request = state.State!.Request! with { Steps = [] };
        await _storage.WriteStateAsync(StateNames.DagRun, GrainId.Create(StateNames.DagRun, state.State!.Run.Id), state);

        var read = new GrainState<DagRunGrainState>();
        await _storage.ReadStateAsync(StateNames.DagRun, GrainId.Create(StateNames.DagRun, state.State!.Run.Id), read);

        Assert.Equal(("2", DagRunState.Succeeded), (read.ETag, read.State!.Run!.State));
        Assert.Single(read.State!.Request!.Steps);
    }

    [Fact]
    public async Task Writes_WithAStaleVersion_AreRefused_AndTheRowsKeepTheNewerState()
    {
        var dagId = GrainId.Create(StateNames.Dag, "guarded");
        var first = await SaveDagAsync(Dag("guarded"));
        var twin = new GrainState<DagGrainState>();
        await _storage.ReadStateAsync(StateNames.Dag, dagId, twin);
        first.State!.Dag = first.State!.Dag! with { State = JobState.Paused, NextFireAt = null };
        await _storage.WriteStateAsync(StateNames.Dag, dagId, first);
        twin.State!.Dag = twin.State!.Dag! with { Owner = "stale" };
        await Assert.ThrowsAsync<InconsistentStateException>(() => _storage.WriteStateAsync(StateNames.Dag, dagId, twin));
        await Assert.ThrowsAsync<InconsistentStateException>(() => _storage.WriteStateAsync(StateNames.Dag, dagId, new GrainState<DagGrainState>(Dag("guarded"))));
        await Assert.ThrowsAsync<InconsistentStateException>(() => _storage.ClearStateAsync(StateNames.Dag, dagId, twin));

        var run = await SaveRunAsync(Run("guarded", 0, DagRunState.Running));
        var runId = GrainId.Create(StateNames.DagRun, run.State!.Run!.Id);
        var runTwin = new GrainState<DagRunGrainState>();
        await _storage.ReadStateAsync(StateNames.DagRun, runId, runTwin);
        run.State!.Run = run.State!.Run with { State = DagRunState.Succeeded, FinishedAt = T0.AddMinutes(1) };
        await _storage.WriteStateAsync(StateNames.DagRun, runId, run);
        runTwin.State!.Run = runTwin.State!.Run! with { State = DagRunState.Failed, FinishedAt = T0.AddMinutes(2) };
        await Assert.ThrowsAsync<InconsistentStateException>(() => _storage.WriteStateAsync(StateNames.DagRun, runId, runTwin));

        Assert.Equal(JobState.Paused, (await _catalog.QueryDagsAsync(new DagQuery())).Items.Single().State);
        Assert.Equal(DagRunState.Succeeded, (await _catalog.QueryRunsAsync("guarded", new DagRunQuery())).Items.Single().State);
    }

    [Fact]
    public async Task QueryDags_FiltersByOwnerStateAndTag_PagesInIdOrder_AndSkipsDeleted()
    {
        await SaveDagAsync(Dag("b", owner: "ann", tags: new() { ["team"] = "billing", ["tier"] = "1" }));
        await SaveDagAsync(Dag("a", owner: "bob", tags: new() { ["team"] = "ops" }));
        await SaveDagAsync(Dag("B", owner: "ann", state: JobState.Paused));
        await SaveDagAsync(Dag("c", owner: "ann"));
        await SaveDagAsync(Dag("d", owner: "ann", state: JobState.Deleted));

        var first = await _catalog.QueryDagsAsync(new DagQuery { Limit = 2 });
        var second = await _catalog.QueryDagsAsync(new DagQuery { Limit = 2, Cursor = first.Next });

        Assert.Equal(["B", "a"], first.Items.Select(d => d.Id));
        Assert.Equal(["b", "c"], second.Items.Select(d => d.Id));
        Assert.Null(second.Next);
        Assert.Equal(["B", "b", "c"], (await _catalog.QueryDagsAsync(new DagQuery { Owner = "ann" })).Items.Select(d => d.Id));
        Assert.Equal(["B"], (await _catalog.QueryDagsAsync(new DagQuery { State = JobState.Paused })).Items.Select(d => d.Id));
        Assert.Empty((await _catalog.QueryDagsAsync(new DagQuery { State = JobState.Deleted })).Items);
        Assert.Equal(["a", "b"], (await _catalog.QueryDagsAsync(new DagQuery { Tag = "team" })).Items.Select(d => d.Id));
        Assert.Equal(["b"], (await _catalog.QueryDagsAsync(new DagQuery { Tag = "team:billing" })).Items.Select(d => d.Id));
        Assert.Empty((await _catalog.QueryDagsAsync(new DagQuery { Tag = "team:nobody" })).Items);
        Assert.Single((await _catalog.QueryDagsAsync(new DagQuery { Limit = 0 })).Items);
    }

    [Fact]
    public async Task QueryRuns_LatestFirst_PagedOnScheduledAtThenId_FilteredByStateAndRange()
    {
        for (var n = 0; n < 250; n++)
        {
            await SaveRunAsync(Run("busy", n, n % 5 == 0 ? DagRunState.Failed : DagRunState.Succeeded));
        }
        await SaveRunAsync(Run("other", 0, DagRunState.Failed));

        var all = new List<DagRunInfo>();
        string? cursor = null;
        do
        {
            var page = await _catalog.QueryRunsAsync("busy", new DagRunQuery { Limit = 40, Cursor = cursor });
            all.AddRange(page.Items);
            cursor = page.Next;
        }
        while (cursor is not null);

        Assert.Equal(Enumerable.Range(0, 250).Reverse().Select(n => T0.AddMinutes(n)), all.Select(r => r.ScheduledAt));
        var failedInRange = await _catalog.QueryRunsAsync("busy", new DagRunQuery { State = DagRunState.Failed, From = T0.AddMinutes(100), To = T0.AddMinutes(200), Limit = 500 });
        Assert.Equal(Enumerable.Range(100, 100).Where(n => n % 5 == 0).Reverse().Select(n => T0.AddMinutes(n)), failedInRange.Items.Select(r => r.ScheduledAt));
        Assert.Null(failedInRange.Next);
        Assert.Single((await _catalog.QueryRunsAsync("other", new DagRunQuery())).Items);
    }

    [Fact]
    public async Task Recovery_FindsUnfinishedRunsOldestFirst_AndDueDags()
    {
        await SaveRunAsync(Run("r", 3, DagRunState.Running));
        await SaveRunAsync(Run("r", 1, DagRunState.Running));
        await SaveRunAsync(Run("r", 2, DagRunState.Succeeded));
        await SaveDagAsync(Dag("due-a"));
        await SaveDagAsync(Dag("due-b", nextFireAt: T0.AddMinutes(30)));
        await SaveDagAsync(Dag("later", nextFireAt: T0.AddHours(3)));
        await SaveDagAsync(Dag("paused", state: JobState.Paused));

        Assert.Equal([DagRunId.For("r", T0.AddMinutes(1)), DagRunId.For("r", T0.AddMinutes(3))], await _catalog.FindUnfinishedRunsAsync(10));
        Assert.Equal([DagRunId.For("r", T0.AddMinutes(1))], await _catalog.FindUnfinishedRunsAsync(1));
        Assert.Equal(["due-a", "due-b"], await _catalog.FindDagsDueAsync(T0.AddHours(2), 10));
        Assert.Equal(["due-b"], await _catalog.FindDagsDueAsync(T0.AddHours(2), 10, afterId: "due-a"));
        Assert.Equal(["due-a"], await _catalog.FindDagsDueAsync(T0.AddHours(2), 10, dueAfter: T0.AddMinutes(30)));
        Assert.Equal(["due-a"], await _catalog.FindDagsDueAsync(T0.AddHours(2), 1));
        Assert.Empty(await _catalog.FindDagsDueAsync(T0.AddMinutes(29), 10));
    }

    [Fact]
    public async Task Retention_DeletesFinishedRunsOnly_OldestFirst()
    {
        await SaveRunAsync(Run("old", 1, DagRunState.Succeeded));
        await SaveRunAsync(Run("old", 2, DagRunState.Running));
        await SaveRunAsync(Run("old", 3, DagRunState.Failed));
        await SaveRunAsync(Run("old", 90, DagRunState.Cancelled));

        Assert.Equal(1, await _catalog.DeleteRunsFinishedBeforeAsync(T0.AddHours(1), 1));
        Assert.Equal(1, await _catalog.DeleteRunsFinishedBeforeAsync(T0.AddHours(1), 10));
        Assert.Equal(0, await _catalog.DeleteRunsFinishedBeforeAsync(T0.AddHours(1), 10));

        Assert.Equal([DagRunState.Cancelled, DagRunState.Running], (await _catalog.QueryRunsAsync("old", new DagRunQuery())).Items.Select(r => r.State));
    }

    [Fact]
    public async Task DeleteDag_TakesItsFinishedRunsAndStepExecutions_InTheSameWrite_ButNotRunningOnesNorOtherDags()
    {
        var dag = await SaveDagAsync(Dag("a_b"));
        await SaveRunAsync(Run("a_b", 1, DagRunState.Succeeded));
        await SaveRunAsync(Run("a_b", 2, DagRunState.Running));
        await SaveExecutionAsync(StepExecution("a_b", "extract", 1, ExecutionState.Succeeded));
        await SaveExecutionAsync(StepExecution("a_b", "load", 1, ExecutionState.Failed));
        var running = StepExecution("a_b", "extract", 2, ExecutionState.Running);
        await SaveExecutionAsync(running);
        // Look-alikes a careless LIKE would take: '_' matches any character, and 'a_b' is a prefix of 'a_bc'.
        ExecutionGrainState[] others =
        [
            StepExecution("axb", "extract", 1, ExecutionState.Succeeded),
            StepExecution("a_bc", "extract", 1, ExecutionState.Succeeded),
            StepExecution("ab", "extract", 1, ExecutionState.Succeeded),
        ];
        foreach (var other in others)
        {
            await SaveExecutionAsync(other);
        }
        var a = await SaveDagAsync(Dag("a"));
        var ofA = StepExecution("a", "extract", 1, ExecutionState.Succeeded);
        await SaveExecutionAsync(ofA);
        await SaveDagAsync(Dag("a_bc"));
        await SaveRunAsync(Run("a_bc", 1, DagRunState.Succeeded));
        // A plain job named like the DAG: its executions have no ':' in their job id, and are not the DAG's.
        var job = StepExecution("a_b", "x", 5, ExecutionState.Succeeded).Info! with { Id = ExecutionId.For("a_b", T0), JobId = "a_b" };
        await SaveExecutionAsync(new ExecutionGrainState { Info = job });

        await _storage.ClearStateAsync(StateNames.Dag, GrainId.Create(StateNames.Dag, "a_b"), dag);

        Assert.Equal(["a", "a_bc"], (await _catalog.QueryDagsAsync(new DagQuery())).Items.Select(d => d.Id));
        Assert.Equal([DagRunState.Running], (await _catalog.QueryRunsAsync("a_b", new DagRunQuery())).Items.Select(r => r.State));
        Assert.Single((await _catalog.QueryRunsAsync("a_bc", new DagRunQuery())).Items);
        Assert.Equal(
            ((string[])[running.Info!.Id, job.Id, ofA.Info!.Id, .. others.Select(o => o.Info!.Id)]).Order(StringComparer.Ordinal),
            await ExecutionIdsAsync());
        // Their output went with them (by cascade); the others' stays.
        Assert.Equal(0, await _database.ScalarAsync("SELECT count(*) FROM js_attempt_outputs WHERE execution_id LIKE 'a\\_b@%:%'"));
        Assert.Equal(others.Length + 2, await _database.ScalarAsync("SELECT count(*) FROM js_attempt_outputs"));
        Assert.Null(dag.ETag);

        await _storage.ClearStateAsync(StateNames.Dag, GrainId.Create(StateNames.Dag, "a"), a);

        Assert.Equal(
            ((string[])[running.Info.Id, job.Id, .. others.Select(o => o.Info!.Id)]).Order(StringComparer.Ordinal),
            await ExecutionIdsAsync());
    }

    [Fact]
    public async Task DeleteDag_WithAStaleVersion_IsRefused_AndTakesNothing()
    {
        var dag = await SaveDagAsync(Dag("kept"));
        await SaveRunAsync(Run("kept", 1, DagRunState.Succeeded));
        await SaveExecutionAsync(StepExecution("kept", "extract", 1, ExecutionState.Succeeded));
        var stale = new GrainState<DagGrainState> { State = dag.State, ETag = dag.ETag, RecordExists = true };
        await _storage.WriteStateAsync(StateNames.Dag, GrainId.Create(StateNames.Dag, "kept"), dag);

        await Assert.ThrowsAsync<InconsistentStateException>(() => _storage.ClearStateAsync(StateNames.Dag, GrainId.Create(StateNames.Dag, "kept"), stale));

        Assert.Single((await _catalog.QueryDagsAsync(new DagQuery())).Items);
        Assert.Single((await _catalog.QueryRunsAsync("kept", new DagRunQuery())).Items);
        Assert.Single((await _jobs.QueryExecutionsAsync(DagRunId.StepJobId("kept", "extract"), new ExecutionQuery())).Items);
    }
}
