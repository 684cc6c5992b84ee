using JobScheduler.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orleans.Serialization;
using Orleans.Storage;

namespace JobScheduler.Persistence.Postgres.Tests;

/// <summary>
/// Lists over the rows the grain storage writes, on a real PostgreSQL: filters, keyset paging over thousands of rows,
/// version fences, output stored beside the row, retention and a job's delete.
/// </summary>
public sealed class PostgresJobCatalogTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly PostgresDatabase _database = new();
    private NpgsqlDataSource _dataSource = null!;
    private PostgresBatcher _batcher = null!;
    private PostgresJobCatalog _catalog = null!;
    private PostgresGrainStorage _storage = null!;

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        _dataSource = _database.CreateDataSource();
        await new PostgresSchema(_dataSource, NullLogger<PostgresSchema>.Instance).EnsureAsync(apply: true, CancellationToken.None);
        _batcher = new PostgresBatcher(_dataSource);
        _catalog = new PostgresJobCatalog(_dataSource, _batcher);
        _storage = new PostgresGrainStorage("test", _batcher, new OrleansGrainStorageSerializer(
            new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>()));
    }

    /// <summary>Writes a new job's row as its grain would.</summary>
    private Task SaveJobAsync(JobInfo job) =>
        _storage.WriteStateAsync(StateNames.Job, GrainId.Create("job", job.Id), new GrainState<JobGrainState>(new JobGrainState { Job = job }));

    /// <summary>Writes a new execution's row as its grain would; returns its grain state (with its version).</summary>
    private async Task<GrainState<ExecutionGrainState>> SaveExecutionAsync(ExecutionInfo execution)
    {
        var state = new GrainState<ExecutionGrainState>(new ExecutionGrainState { Info = execution });
        await _storage.WriteStateAsync(StateNames.Execution, GrainId.Create("execution", execution.Id), state);
        return state;
    }

    public async Task DisposeAsync()
    {
        await _batcher.DisposeAsync();
        await _dataSource.DisposeAsync();
        await _database.DisposeAsync();
    }

    private static JobInfo Job(string id, string owner, JobState state = JobState.Active, Dictionary<string, string>? tags = null) =>
        new(new JobSpec { Schedule = ScheduleSpec.Manual(), Action = ActionSpec.RunHandler("noop"), Tags = tags })
        {
            Id = id,
            Owner = owner,
            State = state,
            CreatedAt = T0,
            UpdatedAt = T0,
            // An offset other than UTC on purpose: instants from clients may carry one.
            NextFireAt = state == JobState.Active ? T0.AddHours(1).ToOffset(TimeSpan.FromHours(2)) : null,
        };

    private static ExecutionInfo Execution(string jobId, int n, ExecutionState state) => new()
    {
        Id = ExecutionId.For(jobId, T0.AddMinutes(n)),
        JobId = jobId,
        Owner = "owner",
        ScheduledAt = T0.AddMinutes(n),
        CreatedAt = T0.AddMinutes(n),
        State = state,
        FinishedAt = state is ExecutionState.Succeeded or ExecutionState.Failed ? T0.AddMinutes(n).AddSeconds(1) : null,
        Attempts = [new AttemptInfo { Number = 1, Node = "n", StartedAt = T0.AddMinutes(n), Output = "kept in the grain, not in the row" }],
    };

    private static async Task ForEachParallelAsync<T>(IEnumerable<T> items, Func<T, Task> action) =>
        await Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (item, _) => await action(item));

    [Fact]
    public async Task QueryJobs_ByOwner_PagesThroughThousandsOfRowsInIdOrder_ExactlyOnce()
    {
        var owners = new[] { "ann", "bob", "cyd" };
        await ForEachParallelAsync(Enumerable.Range(0, 3000), i => SaveJobAsync(Job($"job-{i:D5}", owners[i % 3])));

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await _catalog.QueryJobsAsync(new JobQuery { Owner = "bob", Limit = 150, Cursor = cursor });
            Assert.All(page.Items, j => Assert.Equal("bob", j.Owner));
            seen.AddRange(page.Items.Select(j => j.Id));
            cursor = page.Next;
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(1000, seen.Count);
        Assert.Equal(seen.Order(StringComparer.Ordinal), seen);
        Assert.Equal(1000, seen.Distinct().Count());
        Assert.Equal(7, pages);
    }

    [Fact]
    public async Task QueryJobs_FiltersByStateAndTag()
    {
        await SaveJobAsync(Job("a", "o", JobState.Active, new() { ["env"] = "prod" }));
        await SaveJobAsync(Job("b", "o", JobState.Paused, new() { ["env"] = "dev" }));
        await SaveJobAsync(Job("c", "o", JobState.Active, new() { ["team"] = "x" }));

        Assert.Equal(["a", "c"], (await _catalog.QueryJobsAsync(new JobQuery { State = JobState.Active })).Items.Select(j => j.Id));
        Assert.Equal(["a"], (await _catalog.QueryJobsAsync(new JobQuery { Tag = "env:prod" })).Items.Select(j => j.Id));
        Assert.Equal(["a", "b"], (await _catalog.QueryJobsAsync(new JobQuery { Tag = "env" })).Items.Select(j => j.Id));
        var stats = await _catalog.GetStatsAsync();
        Assert.Equal(2, stats.Jobs["active"]);
        Assert.Equal(1, stats.Jobs["paused"]);
    }

    [Fact]
    public async Task QueryExecutions_OfAJob_LatestFirst_FilteredAndPagedOverThousands()
    {
        await ForEachParallelAsync(Enumerable.Range(0, 2500), n =>
            SaveExecutionAsync(Execution("busy", n, n % 5 == 0 ? ExecutionState.Failed : ExecutionState.Succeeded)));
        await ForEachParallelAsync(Enumerable.Range(0, 100), n => SaveExecutionAsync(Execution("other", n, ExecutionState.Failed)));

        var all = new List<ExecutionInfo>();
        string? cursor = null;
        do
        {
            var page = await _catalog.QueryExecutionsAsync("busy", new ExecutionQuery { Limit = 300, Cursor = cursor });
            all.AddRange(page.Items);
            cursor = page.Next;
        }
        while (cursor is not null);

        Assert.Equal(2500, all.Count);
        Assert.Equal(Enumerable.Range(0, 2500).Reverse().Select(n => T0.AddMinutes(n)), all.Select(e => e.ScheduledAt));
        Assert.All(all, e => Assert.Null(e.Attempts[0].Output));

        var failedInRange = await _catalog.QueryExecutionsAsync("busy", new ExecutionQuery
        {
            State = ExecutionState.Failed,
            From = T0.AddMinutes(100),
            To = T0.AddMinutes(200),
            Limit = 500,
        });
        Assert.Equal(Enumerable.Range(100, 100).Where(n => n % 5 == 0).Reverse().Select(n => T0.AddMinutes(n)), failedInRange.Items.Select(e => e.ScheduledAt));
        Assert.Null(failedInRange.Next);
    }

    [Fact]
    public async Task Write_WithAStaleVersion_IsRefused_AndTheRowKeepsTheNewerState()
    {
        var grainId = GrainId.Create("execution", ExecutionId.For("guarded", T0));
        var first = await SaveExecutionAsync(Execution("guarded", 0, ExecutionState.Running));
        var twin = new GrainState<ExecutionGrainState>();
        await _storage.ReadStateAsync(StateNames.Execution, grainId, twin);
        first.State!.Info = first.State.Info! with { State = ExecutionState.Succeeded, FinishedAt = T0.AddSeconds(1) };
        await _storage.WriteStateAsync(StateNames.Execution, grainId, first);

        twin.State!.Info = twin.State.Info! with { State = ExecutionState.Failed, FinishedAt = T0.AddSeconds(2) };
        await Assert.ThrowsAsync<InconsistentStateException>(() => _storage.WriteStateAsync(StateNames.Execution, grainId, twin));

        Assert.Equal(ExecutionState.Succeeded, (await _catalog.QueryExecutionsAsync("guarded", new ExecutionQuery())).Items.Single().State);
    }

    [Fact]
    public async Task AttemptOutput_IsStoredOnceBesideTheRow_ReadBackByTheGrain_AndLeftOutOfLists()
    {
        var id = ExecutionId.For("talker", T0);
        var grainId = GrainId.Create("execution", id);
        var running = Execution("talker", 0, ExecutionState.Running) with
        {
            Attempts = [new AttemptInfo { Number = 1, Node = "n", StartedAt = T0 }],
        };
        var state = await SaveExecutionAsync(running);
        state.State!.Info = running with
        {
            State = ExecutionState.Retrying,
            Attempts = [running.Attempts[0] with { FinishedAt = T0.AddSeconds(1), Outcome = AttemptOutcome.Failed, Output = "first try\n" }],
        };
        await _storage.WriteStateAsync(StateNames.Execution, grainId, state);
        state.State.Info = state.State.Info with
        {
            State = ExecutionState.Succeeded,
            FinishedAt = T0.AddSeconds(3),
            Attempts = [.. state.State.Info.Attempts, new AttemptInfo { Number = 2, Node = "n", StartedAt = T0.AddSeconds(2), FinishedAt = T0.AddSeconds(3), Outcome = AttemptOutcome.Succeeded, Output = "" }],
        };
        await _storage.WriteStateAsync(StateNames.Execution, grainId, state);

        var read = new GrainState<ExecutionGrainState>();
        await _storage.ReadStateAsync(StateNames.Execution, grainId, read);
        Assert.Equal(["first try\n", ""], read.State!.Info!.Attempts.Select(a => a.Output));
        Assert.Equal(1, await _database.ScalarAsync($"SELECT count(*) FROM js_attempt_outputs WHERE execution_id = '{id}'"));
        Assert.All((await _catalog.QueryExecutionsAsync("talker", new ExecutionQuery())).Items.Single().Attempts, a => Assert.Null(a.Output));
    }

    [Fact]
    public async Task Recovery_FindsUnfinishedExecutionsAndDueJobs()
    {
        await SaveExecutionAsync(Execution("r", 1, ExecutionState.Running));
        await SaveExecutionAsync(Execution("r", 2, ExecutionState.Succeeded));
        await SaveExecutionAsync(Execution("r", 3, ExecutionState.Retrying));
        await SaveJobAsync(Job("due", "o"));
        await SaveJobAsync(Job("paused", "o", JobState.Paused));

        var unfinished = await _catalog.FindUnfinishedExecutionsAsync(10);
        var due = await _catalog.FindJobsDueAsync(T0.AddHours(2), 10);

        Assert.Equal([ExecutionId.For("r", T0.AddMinutes(1)), ExecutionId.For("r", T0.AddMinutes(3))], unfinished);
        Assert.Equal(["due"], due);
        Assert.Empty(await _catalog.FindJobsDueAsync(T0.AddMinutes(30), 10));
    }

    [Fact]
    public async Task DeleteJob_RemovesItsFinishedExecutionsInTheSameWrite_AndLeavesTheRunningOne()
    {
        var grainId = GrainId.Create("job", "gone");
        var job = new GrainState<JobGrainState>(new JobGrainState { Job = Job("gone", "o") });
        await _storage.WriteStateAsync(StateNames.Job, grainId, job);
        await SaveExecutionAsync(Execution("gone", 1, ExecutionState.Succeeded));
        await SaveExecutionAsync(Execution("gone", 2, ExecutionState.Running));

        await _storage.ClearStateAsync(StateNames.Job, grainId, job);

        Assert.Empty((await _catalog.QueryJobsAsync(new JobQuery())).Items);
        Assert.Equal([ExecutionState.Running], (await _catalog.QueryExecutionsAsync("gone", new ExecutionQuery())).Items.Select(e => e.State));
    }

    [Fact]
    public async Task Retention_DeletesFinishedExecutionsOnly()
    {
        await SaveExecutionAsync(Execution("old", 1, ExecutionState.Succeeded));
        await SaveExecutionAsync(Execution("old", 2, ExecutionState.Running));
        await SaveExecutionAsync(Execution("old", 3, ExecutionState.Failed));

        Assert.Equal(1, await _catalog.DeleteFinishedExecutionsAsync([ExecutionId.For("old", T0.AddMinutes(1)), ExecutionId.For("old", T0.AddMinutes(2))]));
        Assert.Equal(1, await _catalog.DeleteExecutionsFinishedBeforeAsync(T0.AddHours(1), 10));

        Assert.Equal([ExecutionState.Running], (await _catalog.QueryExecutionsAsync("old", new ExecutionQuery())).Items.Select(e => e.State));
    }

    [Fact]
    public async Task FindExecutionsBeyond_ReturnsTheOldestFinishedOnesPastTheNewestKept()
    {
        // Minutes 0..5: the oldest (0) still runs, so retention cannot drop it; the newest three are kept.
        await SaveExecutionAsync(Execution("kept", 0, ExecutionState.Running));
        for (var n = 1; n <= 5; n++)
        {
            await SaveExecutionAsync(Execution("kept", n, ExecutionState.Succeeded));
        }
        await SaveExecutionAsync(Execution("other", 0, ExecutionState.Succeeded));

        var beyond = await _catalog.FindExecutionsBeyondAsync("kept", keep: 3, limit: 10);

        Assert.Equal([ExecutionId.For("kept", T0.AddMinutes(1)), ExecutionId.For("kept", T0.AddMinutes(2))], beyond);
        Assert.Equal([ExecutionId.For("kept", T0.AddMinutes(1))], await _catalog.FindExecutionsBeyondAsync("kept", keep: 3, limit: 1));
        Assert.Empty(await _catalog.FindExecutionsBeyondAsync("kept", keep: 6, limit: 10));
    }
}
