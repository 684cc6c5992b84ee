using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace JobScheduler.Persistence.Postgres.Tests;

/// <summary>The query model on a real PostgreSQL: filters, keyset paging over thousands of rows, revision guards.</summary>
public sealed class PostgresJobCatalogTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly PostgresDatabase _database = new();
    private NpgsqlDataSource _dataSource = null!;
    private PostgresBatcher _batcher = null!;
    private PostgresJobCatalog _catalog = null!;

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        _dataSource = _database.CreateDataSource();
        await new PostgresSchema(_dataSource, NullLogger<PostgresSchema>.Instance).EnsureAsync(apply: true, CancellationToken.None);
        _batcher = new PostgresBatcher(_dataSource);
        _catalog = new PostgresJobCatalog(_dataSource, _batcher);
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
        await ForEachParallelAsync(Enumerable.Range(0, 3000), i => _catalog.SaveJobAsync(Job($"job-{i:D5}", owners[i % 3]), 1));

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
        await _catalog.SaveJobAsync(Job("a", "o", JobState.Active, new() { ["env"] = "prod" }), 1);
        await _catalog.SaveJobAsync(Job("b", "o", JobState.Paused, new() { ["env"] = "dev" }), 1);
        await _catalog.SaveJobAsync(Job("c", "o", JobState.Active, new() { ["team"] = "x" }), 1);

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
            _catalog.SaveExecutionAsync(Execution("busy", n, n % 5 == 0 ? ExecutionState.Failed : ExecutionState.Succeeded), 1));
        await ForEachParallelAsync(Enumerable.Range(0, 100), n => _catalog.SaveExecutionAsync(Execution("other", n, ExecutionState.Failed), 1));

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
    public async Task Save_WithAnOlderRevision_NeverRollsARowBack()
    {
        await _catalog.SaveJobAsync(Job("guarded", "o", JobState.Paused), 5);
        await _catalog.SaveJobAsync(Job("guarded", "o", JobState.Active), 4);
        await _catalog.SaveExecutionAsync(Execution("guarded", 1, ExecutionState.Succeeded), 3);
        await _catalog.SaveExecutionAsync(Execution("guarded", 1, ExecutionState.Pending), 2);

        Assert.Equal(JobState.Paused, (await _catalog.QueryJobsAsync(new JobQuery())).Items.Single().State);
        Assert.Equal(ExecutionState.Succeeded, (await _catalog.QueryExecutionsAsync("guarded", new ExecutionQuery())).Items.Single().State);
    }

    [Fact]
    public async Task Recovery_FindsUnfinishedExecutionsAndDueJobs()
    {
        await _catalog.SaveExecutionAsync(Execution("r", 1, ExecutionState.Running), 1);
        await _catalog.SaveExecutionAsync(Execution("r", 2, ExecutionState.Succeeded), 1);
        await _catalog.SaveExecutionAsync(Execution("r", 3, ExecutionState.Retrying), 1);
        await _catalog.SaveJobAsync(Job("due", "o"), 1);
        await _catalog.SaveJobAsync(Job("paused", "o", JobState.Paused), 1);

        var unfinished = await _catalog.FindUnfinishedExecutionsAsync(10);
        var due = await _catalog.FindJobsDueAsync(T0.AddHours(2), 10);

        Assert.Equal([ExecutionId.For("r", T0.AddMinutes(1)), ExecutionId.For("r", T0.AddMinutes(3))], unfinished);
        Assert.Equal(["due"], due);
        Assert.Empty(await _catalog.FindJobsDueAsync(T0.AddMinutes(30), 10));
    }

    [Fact]
    public async Task DeleteJob_RemovesItsExecutionsToo()
    {
        await _catalog.SaveJobAsync(Job("gone", "o"), 1);
        await _catalog.SaveExecutionAsync(Execution("gone", 1, ExecutionState.Succeeded), 1);

        await _catalog.DeleteJobAsync("gone");

        Assert.Empty((await _catalog.QueryJobsAsync(new JobQuery())).Items);
        Assert.Empty((await _catalog.QueryExecutionsAsync("gone", new ExecutionQuery())).Items);
    }

    [Fact]
    public async Task FindExecutionsBeyond_ReturnsTheOldestFinishedOnesPastTheNewestKept()
    {
        // Minutes 0..5: the oldest (0) still runs, so retention cannot drop it; the newest three are kept.
        await _catalog.SaveExecutionAsync(Execution("kept", 0, ExecutionState.Running), 1);
        for (var n = 1; n <= 5; n++)
        {
            await _catalog.SaveExecutionAsync(Execution("kept", n, ExecutionState.Succeeded), 1);
        }
        await _catalog.SaveExecutionAsync(Execution("other", 0, ExecutionState.Succeeded), 1);

        var beyond = await _catalog.FindExecutionsBeyondAsync("kept", keep: 3, limit: 10);

        Assert.Equal([ExecutionId.For("kept", T0.AddMinutes(1)), ExecutionId.For("kept", T0.AddMinutes(2))], beyond);
        Assert.Equal([ExecutionId.For("kept", T0.AddMinutes(1))], await _catalog.FindExecutionsBeyondAsync("kept", keep: 3, limit: 1));
        Assert.Empty(await _catalog.FindExecutionsBeyondAsync("kept", keep: 6, limit: 10));
    }
}
