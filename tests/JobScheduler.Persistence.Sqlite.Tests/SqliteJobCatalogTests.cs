using JobScheduler.Core.Storage;
using static JobScheduler.Persistence.Sqlite.Tests.Rows;

namespace JobScheduler.Persistence.Sqlite.Tests;

/// <summary>Lists, filters, keyset paging, recovery queries and retention over the rows the grain storage writes.</summary>
public sealed class SqliteJobCatalogTests : IAsyncLifetime
{
    private readonly TestDatabase _db = new();
    private SqliteJobCatalog Catalog => new(_db.Database);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private async Task PutJobAsync(JobGrainState job) =>
        await _db.Storage().WriteStateAsync(StateNames.Job, JobGrain(job.Job!.Id), new GrainState<JobGrainState> { State = job });

    private async Task PutExecutionAsync(ExecutionGrainState execution) =>
        await _db.Storage().WriteStateAsync(StateNames.Execution, ExecutionGrain(execution.Info!.Id), new GrainState<ExecutionGrainState> { State = execution });

    [Fact]
    public async Task Jobs_AreListedInOrdinalIdOrder_PagedAndFiltered()
    {
        Assert.True(Catalog.IsDurable);
        await PutJobAsync(Job("b", tags: new() { ["team"] = "billing", ["tier"] = "1" }));
        await PutJobAsync(Job("a", owner: "bob", tags: new() { ["team"] = "ops" }));
        await PutJobAsync(Job("B", state: JobState.Paused));
        await PutJobAsync(Job("c"));

        var first = await Catalog.QueryJobsAsync(new JobQuery { Limit = 2 });
        Assert.Equal(["B", "a"], first.Items.Select(j => j.Id));
        var second = await Catalog.QueryJobsAsync(new JobQuery { Limit = 2, Cursor = first.Next });
        Assert.Equal(["b", "c"], second.Items.Select(j => j.Id));
        Assert.Null(second.Next);

        Assert.Equal(["B", "b", "c"], (await Catalog.QueryJobsAsync(new JobQuery { Owner = "alice" })).Items.Select(j => j.Id));
        Assert.Equal(["B"], (await Catalog.QueryJobsAsync(new JobQuery { State = JobState.Paused })).Items.Select(j => j.Id));
        Assert.Equal(["a", "b"], (await Catalog.QueryJobsAsync(new JobQuery { Tag = "team" })).Items.Select(j => j.Id));
        Assert.Equal(["b"], (await Catalog.QueryJobsAsync(new JobQuery { Tag = "team:billing" })).Items.Select(j => j.Id));
        Assert.Equal(["b"], (await Catalog.QueryJobsAsync(new JobQuery { Tag = "tier" })).Items.Select(j => j.Id));
        Assert.Empty((await Catalog.QueryJobsAsync(new JobQuery { Tag = "team:nobody" })).Items);

        var stats = await Catalog.GetStatsAsync();
        Assert.Equal(3, stats.Jobs["active"]);
        Assert.Equal(1, stats.Jobs["paused"]);
        Assert.Equal(new[] { "a", "b", "c" },
            (await Catalog.FindJobsDueAsync(T0.AddMinutes(1), 10)).Order(StringComparer.Ordinal));
        Assert.Empty(await Catalog.FindJobsDueAsync(T0.AddMinutes(1).AddTicks(-1), 10));
    }

    [Fact]
    public async Task Executions_AreListedLatestFirst_PagedByScheduledAtThenId_AndFiltered()
    {
        for (var i = 0; i < 5; i++)
        {
            await PutExecutionAsync(Execution("j", T0.AddSeconds(i), i < 3 ? ExecutionState.Succeeded : ExecutionState.Running));
        }
        // Same instant, written with another offset: ordered exactly as the instant.
        await PutExecutionAsync(Execution("j", T0.AddSeconds(2).ToOffset(TimeSpan.FromHours(2)), ExecutionState.Failed));
        await PutExecutionAsync(Execution("other", T0, ExecutionState.Succeeded));

        var all = new List<ExecutionInfo>();
        string? cursor = null;
        do
        {
            var page = await Catalog.QueryExecutionsAsync("j", new ExecutionQuery { Limit = 2, Cursor = cursor });
            all.AddRange(page.Items);
            cursor = page.Next;
        }
        while (cursor is not null);
        Assert.Equal(6, all.Count);
        Assert.Equal(all.OrderByDescending(e => e.ScheduledAt).ThenByDescending(e => e.Id, StringComparer.Ordinal).Select(e => e.Id), all.Select(e => e.Id));
        Assert.Equal(6, all.Select(e => e.Id).Distinct().Count());

        var window = await Catalog.QueryExecutionsAsync("j", new ExecutionQuery { From = T0.AddSeconds(1), To = T0.AddSeconds(3) });
        Assert.Equal(3, window.Items.Length);
        Assert.All(window.Items, e => Assert.InRange(e.ScheduledAt, T0.AddSeconds(1), T0.AddSeconds(2)));
        Assert.Equal(2, (await Catalog.QueryExecutionsAsync("j", new ExecutionQuery { State = ExecutionState.Running })).Items.Length);
        Assert.Equal(2, (await Catalog.FindUnfinishedExecutionsAsync(10)).Count);

        // Retention: beyond the newest 2, finished ones only, oldest first.
        var beyond = await Catalog.FindExecutionsBeyondAsync("j", keep: 2, limit: 10);
        Assert.Equal(4, beyond.Count);
        Assert.Equal(4, await Catalog.DeleteFinishedExecutionsAsync([.. beyond, all[0].Id]));
        Assert.Equal(2, (await Catalog.QueryExecutionsAsync("j", new ExecutionQuery())).Items.Length);
        Assert.Equal(1, await Catalog.DeleteExecutionsFinishedBeforeAsync(T0.AddHours(1), 10));
        Assert.Empty((await Catalog.QueryExecutionsAsync("other", new ExecutionQuery())).Items);
    }
}
