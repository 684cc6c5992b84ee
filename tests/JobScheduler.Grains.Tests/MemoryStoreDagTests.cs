using JobScheduler.Core.Storage;
using JobScheduler.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;

namespace JobScheduler.Grains.Tests;

/// <summary>
/// DAGs and their runs in the memory store, as in the SQL stores: round trips and version fences through the grain
/// storage, lists with filters and keyset paging, recovery and due queries, retention, and what a DAG's delete takes.
/// </summary>
public sealed class MemoryStoreDagTests
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly MemoryStore _store = new(new OrleansGrainStorageSerializer(
        new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>()));

    private static DagGrainState Dag(string id, string owner = "alice", JobState state = JobState.Active, Dictionary<string, string>? tags = null, DateTimeOffset? nextFireAt = null) => new()
    {
        Dag = new DagInfo
        {
            Id = id,
            Owner = owner,
            State = state,
            Tags = tags,
            Schedule = ScheduleSpec.Manual(),
            Steps = [new DagStepSpec { Id = "extract" }],
            CreatedAt = T0,
            UpdatedAt = T0,
            NextFireAt = state == JobState.Active ? nextFireAt ?? T0.AddMinutes(1) : null,
        },
        PlannedAt = T0,
    };

    private static DagRunGrainState Run(string dagId, DateTimeOffset scheduledAt, DagRunState state = DagRunState.Running) => new()
    {
        Run = new DagRunInfo
        {
            Id = DagRunId.For(dagId, scheduledAt),
            DagId = dagId,
            Owner = "alice",
            State = state,
            ScheduledAt = scheduledAt,
            StartedAt = scheduledAt,
            FinishedAt = state == DagRunState.Running ? null : scheduledAt.AddSeconds(30),
        },
        Request = new DagRunRequest { DagId = dagId, Owner = "alice", ScheduledAt = scheduledAt, Steps = [new DagStepSpec { Id = "extract" }] },
    };

    private static ExecutionGrainState StepExecution(string dagId, string stepId, ExecutionState state) => new()
    {
        Info = new ExecutionInfo
        {
            Id = DagRunId.StepExecution(DagRunId.For(dagId, T0), stepId, 1),
            JobId = DagRunId.StepJobId(dagId, stepId),
            Owner = "alice",
            ScheduledAt = T0,
            CreatedAt = T0,
            State = state,
            FinishedAt = state == ExecutionState.Running ? null : T0.AddSeconds(1),
        },
    };

    private async Task<GrainState<DagGrainState>> PutDagAsync(DagGrainState dag)
    {
        var state = new GrainState<DagGrainState> { State = dag };
        await _store.WriteStateAsync(StateNames.Dag, GrainId.Create(StateNames.Dag, dag.Dag!.Id), state);
        return state;
    }

    private async Task<GrainState<DagRunGrainState>> PutRunAsync(DagRunGrainState run)
    {
        var state = new GrainState<DagRunGrainState> { State = run };
        await _store.WriteStateAsync(StateNames.DagRun, GrainId.Create(StateNames.DagRun, run.Run!.Id), state);
        return state;
    }

    private Task PutExecutionAsync(ExecutionGrainState execution) =>
        _store.WriteStateAsync(StateNames.Execution, GrainId.Create(StateNames.Execution, execution.Info!.Id), new GrainState<ExecutionGrainState> { State = execution });

    private async Task<bool> ExecutionExistsAsync(string id)
    {
        var state = new GrainState<ExecutionGrainState>();
        await _store.ReadStateAsync(StateNames.Execution, GrainId.Create(StateNames.Execution, id), state);
        return state.RecordExists;
    }

    [Fact]
    public async Task DagAndRun_RoundTrip_AndStaleWritesAreRefused()
    {
        var first = await PutDagAsync(Dag("etl"));
        var run = await PutRunAsync(Run("etl", T0));
        var stale = new GrainState<DagGrainState>();
        await _store.ReadStateAsync(StateNames.Dag, GrainId.Create(StateNames.Dag, "etl"), stale);
        var readRun = new GrainState<DagRunGrainState>();
        await _store.ReadStateAsync(StateNames.DagRun, GrainId.Create(StateNames.DagRun, run.State!.Run!.Id), readRun);

        Assert.Equal(("1", "etl"), (stale.ETag, stale.State!.Dag!.Id));
        Assert.Equal((run.State.Run.Id, "extract"), (readRun.State!.Run!.Id, readRun.State.Request!.Steps.Single().Id));

        first.State!.Dag = first.State.Dag! with { State = JobState.Paused, NextFireAt = null };
        await _store.WriteStateAsync(StateNames.Dag, GrainId.Create(StateNames.Dag, "etl"), first);
        await Assert.ThrowsAsync<InconsistentStateException>(() => _store.WriteStateAsync(StateNames.Dag, GrainId.Create(StateNames.Dag, "etl"), stale));
        await Assert.ThrowsAsync<InconsistentStateException>(() => _store.ClearStateAsync(StateNames.Dag, GrainId.Create(StateNames.Dag, "etl"), stale));
        await Assert.ThrowsAsync<InconsistentStateException>(() => PutRunAsync(Run("etl", T0)));
        Assert.Equal(JobState.Paused, (await _store.QueryDagsAsync(new DagQuery())).Items.Single().State);
    }

    [Fact]
    public async Task Dags_AreListedInOrdinalIdOrder_PagedAndFiltered_WithoutDeletedOnes()
    {
        await PutDagAsync(Dag("b", tags: new() { ["team"] = "billing" }));
        await PutDagAsync(Dag("a", owner: "bob", tags: new() { ["team"] = "ops" }));
        await PutDagAsync(Dag("B", state: JobState.Paused));
        await PutDagAsync(Dag("c"));
        await PutDagAsync(Dag("d", state: JobState.Deleted));
        await _store.WriteStateAsync(StateNames.Dag, GrainId.Create(StateNames.Dag, "e"), new GrainState<DagGrainState> { State = new DagGrainState() });

        var first = await _store.QueryDagsAsync(new DagQuery { Limit = 2 });
        var second = await _store.QueryDagsAsync(new DagQuery { Limit = 2, Cursor = first.Next });

        Assert.Equal(["B", "a"], first.Items.Select(d => d.Id));
        Assert.Equal(["b", "c"], second.Items.Select(d => d.Id));
        Assert.Null(second.Next);
        Assert.Equal(["B", "b", "c"], (await _store.QueryDagsAsync(new DagQuery { Owner = "alice" })).Items.Select(d => d.Id));
        Assert.Equal(["B"], (await _store.QueryDagsAsync(new DagQuery { State = JobState.Paused })).Items.Select(d => d.Id));
        Assert.Equal(["a", "b"], (await _store.QueryDagsAsync(new DagQuery { Tag = "team" })).Items.Select(d => d.Id));
        Assert.Equal(["b"], (await _store.QueryDagsAsync(new DagQuery { Tag = "team:billing" })).Items.Select(d => d.Id));
        Assert.Equal(["a", "b", "c"], (await _store.FindDagsDueAsync(T0.AddMinutes(1), 10)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Runs_AreListedLatestFirst_Paged_AndFiltered_UnfinishedOnesFound_AndRetentionDeletesFinishedOnes()
    {
        for (var i = 0; i < 5; i++)
        {
            await PutRunAsync(Run("d", T0.AddSeconds(i), i switch { 0 => DagRunState.Failed, 4 => DagRunState.Running, _ => DagRunState.Succeeded }));
        }
        await PutRunAsync(Run("other", T0));

        var all = new List<DagRunInfo>();
        string? cursor = null;
        do
        {
            var page = await _store.QueryRunsAsync("d", new DagRunQuery { Limit = 2, Cursor = cursor });
            all.AddRange(page.Items);
            cursor = page.Next;
        }
        while (cursor is not null);

        Assert.Equal(Enumerable.Range(0, 5).Reverse().Select(i => T0.AddSeconds(i)), all.Select(r => r.ScheduledAt));
        Assert.Equal([T0.AddSeconds(2), T0.AddSeconds(1)], (await _store.QueryRunsAsync("d", new DagRunQuery { State = DagRunState.Succeeded, From = T0.AddSeconds(1), To = T0.AddSeconds(3) })).Items.Select(r => r.ScheduledAt));
        Assert.Equal([DagRunId.For("other", T0), DagRunId.For("d", T0.AddSeconds(4))], await _store.FindUnfinishedRunsAsync(10));
        Assert.Equal(2, await _store.DeleteRunsFinishedBeforeAsync(T0.AddMinutes(1), 2));
        Assert.Equal([T0.AddSeconds(4), T0.AddSeconds(3), T0.AddSeconds(2)], (await _store.QueryRunsAsync("d", new DagRunQuery())).Items.Select(r => r.ScheduledAt));
    }

    [Fact]
    public async Task ClearingADag_DeletesItsFinishedRunsAndStepExecutions_ButNotRunningOnesNorOtherDags()
    {
        var dag = await PutDagAsync(Dag("a"));
        var finishedRun = Run("a", T0, DagRunState.Succeeded);
        var runningRun = Run("a", T0.AddMinutes(1));
        await PutRunAsync(finishedRun);
        await PutRunAsync(runningRun);
        var done = StepExecution("a", "extract", ExecutionState.Succeeded);
        var running = StepExecution("a", "load", ExecutionState.Running);
        ExecutionGrainState[] others =
        [
            StepExecution("a_b", "extract", ExecutionState.Succeeded),
            StepExecution("ab", "extract", ExecutionState.Succeeded),
        ];
        foreach (var execution in new[] { done, running }.Concat(others))
        {
            await PutExecutionAsync(execution);
        }

        await _store.ClearStateAsync(StateNames.Dag, GrainId.Create(StateNames.Dag, "a"), dag);

        Assert.Empty((await _store.QueryDagsAsync(new DagQuery())).Items);
        Assert.Equal([runningRun.Run!.Id], (await _store.QueryRunsAsync("a", new DagRunQuery())).Items.Select(r => r.Id));
        Assert.False(await ExecutionExistsAsync(done.Info!.Id));
        Assert.True(await ExecutionExistsAsync(running.Info!.Id));
        foreach (var other in others)
        {
            Assert.True(await ExecutionExistsAsync(other.Info!.Id));
        }
        Assert.Null(dag.ETag);
    }
}
