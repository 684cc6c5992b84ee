using JobScheduler.Core.Storage;

namespace JobScheduler.Core.Tests.Storage;

public sealed class DagRowTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    private static DagGrainState State() => new()
    {
        Dag = new DagInfo(new DagSpec
        {
            Name = "nightly",
            Schedule = ScheduleSpec.Cron("0 2 * * *"),
            Concurrency = ConcurrencyPolicy.Forbid,
            Tags = new() { ["team"] = "data" },
            Steps =
            [
                new DagStepSpec { Id = "extract", Action = ActionSpec.RunHandler("noop") },
                new DagStepSpec { Id = "load", Action = ActionSpec.RunHandler("noop"), DependsOn = ["extract"], Condition = StepCondition.AllDone },
            ],
        })
        {
            Id = "etl",
            Owner = "ann",
            State = JobState.Paused,
            NextFireAt = T0.AddHours(2).ToOffset(TimeSpan.FromHours(2)),
            LastFireAt = T0.AddDays(-1),
            CreatedAt = T0.AddDays(-7),
            UpdatedAt = T0,
            SkippedFires = 3,
        },
        PlannedAt = T0.AddDays(-7),
        LastTriggerAt = T0.AddMinutes(5),
        Runs = [new RunRecord { Id = DagRunId.For("etl", T0), ScheduledAt = T0, State = DagRunState.Running }],
        Triggers = [new IdempotentTrigger { Key = "k1", ExecutionId = DagRunId.For("etl", T0.AddMinutes(5)), At = T0.AddMinutes(5) }],
        Waiters = [new SuccessWaiter { RunId = DagRunId.For("other", T0), StepId = "wait", Since = T0.AddDays(-1), Until = T0.AddHours(1) }],
    };

    [Fact]
    public void From_ThenToState_RoundTripsTheWholeGrainState()
    {
        var state = State();

        var row = DagRow.From(state);
        var back = DagRow.ToState(row.Document, row.Runtime);

        Assert.Equal(StoredJson.Serialize(state.Dag), StoredJson.Serialize(back.Dag));
        Assert.Equal((state.Dag!.Id, state.Dag.State, state.Dag.NextFireAt, state.Dag.SkippedFires), (back.Dag!.Id, back.Dag.State, back.Dag.NextFireAt, back.Dag.SkippedFires));
        Assert.Equal(state.Dag.Tags, back.Dag.Tags);
        Assert.Equal(["extract", "load"], back.Dag.Steps!.Select(s => s.Id));
        Assert.Equal(["extract"], back.Dag.Steps![1].DependsOn!);
        Assert.Equal(StepCondition.AllDone, back.Dag.Steps[1].Condition);
        Assert.Equal(state.PlannedAt, back.PlannedAt);
        Assert.Equal(state.LastTriggerAt, back.LastTriggerAt);
        Assert.Equal((state.Runs[0].Id, state.Runs[0].ScheduledAt, state.Runs[0].State), (back.Runs[0].Id, back.Runs[0].ScheduledAt, back.Runs[0].State));
        Assert.Equal((state.Triggers[0].Key, state.Triggers[0].ExecutionId, state.Triggers[0].At), (back.Triggers[0].Key, back.Triggers[0].ExecutionId, back.Triggers[0].At));
        var waiter = back.Waiters.Single();
        Assert.Equal((state.Waiters[0].RunId, state.Waiters[0].StepId, state.Waiters[0].Since, state.Waiters[0].Until), (waiter.RunId, waiter.StepId, waiter.Since, waiter.Until));
    }

    [Fact]
    public void From_FillsTheColumnsListsFilterOn()
    {
        var row = DagRow.From(State());

        Assert.Equal(("etl", "ann", "paused"), (row.Id, row.Owner, row.State));
        Assert.Equal("""{"team":"data"}""", row.Tags);
        Assert.Equal(T0.AddHours(2), row.NextFireAt);
        Assert.Equal((T0.AddDays(-7), T0), (row.CreatedAt, row.UpdatedAt));
    }

    [Fact]
    public void From_ADagWithoutTags_StoresAnEmptyObject_AndARuntimeOfAnOlderRelease_ReadsAsEmptyLists()
    {
        var state = State();
        state.Dag = state.Dag! with { Tags = null };

        var row = DagRow.From(state);
        var back = DagRow.ToState(row.Document, """{"plannedAt":"2026-03-01T00:00:00+00:00","lastTriggerAt":"2026-03-01T00:00:00+00:00"}""");

        Assert.Equal("{}", row.Tags);
        Assert.Equal(T0, back.PlannedAt);
        Assert.Empty(back.Runs);
        Assert.Empty(back.Triggers);
        Assert.Empty(back.Waiters);
    }

    [Fact]
    public void From_AStateWithoutADag_Throws()
    {
        Assert.Throws<ArgumentException>(() => DagRow.From(new DagGrainState()));
    }
}
