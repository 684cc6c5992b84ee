using JobScheduler.Core.Storage;

namespace JobScheduler.Core.Tests.Storage;

public sealed class DagRunRowTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    private static DagRunGrainState State(DagRunState runState = DagRunState.Failed)
    {
        var id = DagRunId.For("etl", T0);
        return new DagRunGrainState
        {
            Run = new DagRunInfo
            {
                Id = id,
                DagId = "etl",
                Owner = "ann",
                State = runState,
                ScheduledAt = T0.ToOffset(TimeSpan.FromHours(-5)),
                Trigger = "manual",
                StartedAt = T0.AddSeconds(1),
                FinishedAt = runState == DagRunState.Running ? null : T0.AddMinutes(3),
                Parameters = new() { ["day"] = "2026-02-28" },
                Retries = 1,
                Steps =
                [
                    new DagStepRunInfo
                    {
                        Id = "extract",
                        State = StepState.Succeeded,
                        ExecutionId = DagRunId.StepExecution(id, "extract", 1),
                        StartedAt = T0.AddSeconds(1),
                        FinishedAt = T0.AddMinutes(1),
                        Outputs = new() { ["rows"] = "42" },
                        Tries = 1,
                    },
                    new DagStepRunInfo { Id = "load", State = StepState.Failed, ExecutionId = DagRunId.StepExecution(id, "load", 2), Reason = "exit 1", Tries = 2 },
                ],
            },
            Request = new DagRunRequest
            {
                DagId = "etl",
                Owner = "ann",
                ScheduledAt = T0,
                Trigger = "manual",
                Steps = [new DagStepSpec { Id = "extract", Action = ActionSpec.RunHandler("noop"), WaitFor = new WaitForSpec { Job = "upstream", Within = TimeSpan.FromHours(6) } }],
                Parameters = new() { ["day"] = "2026-02-28" },
            },
            CancelRequested = true,
        };
    }

    [Fact]
    public void From_ThenToState_RoundTripsRunRequestAndCancelFlag()
    {
        var state = State();

        var row = DagRunRow.From(state);
        var back = DagRunRow.ToState(row.Document, row.Request, row.CancelRequested);

        var run = back.Run!;
        Assert.Equal((state.Run!.Id, state.Run.DagId, state.Run.Owner, state.Run.State), (run.Id, run.DagId, run.Owner, run.State));
        Assert.Equal((state.Run.ScheduledAt, state.Run.StartedAt, state.Run.FinishedAt), (run.ScheduledAt, run.StartedAt, run.FinishedAt));
        Assert.Equal(("manual", 1), (run.Trigger, run.Retries));
        Assert.Equal(state.Run.Parameters, run.Parameters);
        Assert.Equal(state.Run.Steps.Select(s => (s.Id, s.State, s.ExecutionId, s.Reason, s.Tries)), run.Steps.Select(s => (s.Id, s.State, s.ExecutionId, s.Reason, s.Tries)));
        Assert.Equal(state.Run.Steps[0].Outputs, run.Steps[0].Outputs);
        Assert.True(back.CancelRequested);
        Assert.Equal(state.Request!.Steps.Single().WaitFor, back.Request!.Steps.Single().WaitFor);
        Assert.Equal((state.Request.DagId, state.Request.ScheduledAt, state.Request.Trigger), (back.Request.DagId, back.Request.ScheduledAt, back.Request.Trigger));
        Assert.Equal(state.Request.Parameters, back.Request.Parameters);
    }

    [Fact]
    public void ToState_OfADocumentWithoutOutputs_ReadsEmptyOutputs()
    {
        // Rows written before outputs were always written left the key out for a step that had none (or wrote null).
        var document = $$"""
            {"id":"{{DagRunId.For("etl", T0)}}","dagId":"etl","owner":"ann","state":"running","scheduledAt":"2026-03-01T00:00:00+00:00",
             "trigger":"manual","startedAt":"2026-03-01T00:00:01+00:00","steps":[{"id":"extract","state":"pending","tries":0},
             {"id":"load","state":"pending","outputs":null,"tries":0}],"retries":0}
            """;

        var run = DagRunRow.ToState(document, request: null, cancelRequested: false).Run!;

        Assert.All(run.Steps, s => Assert.Empty(s.Outputs));
        Assert.Contains("\"outputs\":{}", DagRunRow.From(new DagRunGrainState { Run = run }).Document, StringComparison.Ordinal);
    }

    [Fact]
    public void From_FillsTheColumnsListsFilterOn()
    {
        var row = DagRunRow.From(State(DagRunState.Running));

        Assert.Equal((DagRunId.For("etl", T0), "etl", "ann", "running"), (row.Id, row.DagId, row.Owner, row.State));
        Assert.Equal((T0, T0.AddSeconds(1), (DateTimeOffset?)null), (row.ScheduledAt, row.StartedAt, row.FinishedAt));
        Assert.True(row.CancelRequested);
    }

    [Fact]
    public void From_WithoutARequest_LeavesTheColumnNull_AndReadsBackNone()
    {
        var state = State();
        state.Request = null;

        var row = DagRunRow.From(state);

        Assert.Null(row.Request);
        Assert.Null(DagRunRow.ToState(row.Document, row.Request, cancelRequested: false).Request);
    }

    [Fact]
    public void From_AStateWithoutARun_Throws()
    {
        Assert.Throws<ArgumentException>(() => DagRunRow.From(new DagRunGrainState()));
    }

    [Fact]
    public void RunCursor_RoundTripsScheduledAtAndId_AndRejectsGarbage()
    {
        var run = State().Run!;

        var after = CatalogCursor.RunAfter(CatalogCursor.ForRun(run));

        Assert.Equal((run.ScheduledAt, run.Id), after);
        Assert.Equal(TimeSpan.Zero, after!.Value.ScheduledAt.Offset);
        Assert.Null(CatalogCursor.RunAfter(null));
        Assert.Throws<ArgumentException>(() => CatalogCursor.RunAfter(CatalogCursor.ForJob("no-bar")));
    }
}
