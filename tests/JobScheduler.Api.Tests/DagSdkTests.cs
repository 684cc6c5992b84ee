using JobScheduler.Testing;
using JobScheduler.Client;

namespace JobScheduler.Api.Tests;

/// <summary>DAGs through the .NET SDK, connected through the server's gateway like a separate process.</summary>
public sealed class DagSdkTests(CommandsEnabledServer server) : IClassFixture<CommandsEnabledServer>
{
    private static readonly TimeSpan Patience = DagRest.Patience;

    private IJobSchedulerClient Sdk => server.Sdk;

    private static DagStepSpec Step(string id, ActionSpec action, params string[] dependsOn) =>
        new() { Id = id, Action = action, DependsOn = dependsOn };

    private static DagSpec Manual(params DagStepSpec[] steps) => new() { Schedule = ScheduleSpec.Manual(), Steps = steps };

    [Fact]
    public async Task ScheduleTriggerAndWait_RunsAChainInOrder()
    {
        var dag = await Sdk.ScheduleDagAsync("sdk-chain", Manual(
            Step("a", ActionSpec.RunHandler("sleep", new { ms = 20 })),
            Step("b", ActionSpec.RunHandler("sleep", new { ms = 20 }), "a"),
            Step("c", ActionSpec.RunHandler("noop"), "b")));
        Assert.Equal(TestLogin.Admin, dag.Owner);

        var started = await Sdk.TriggerDagAsync(dag.Id);
        var run = await Sdk.WaitForDagRunAsync(started.Id, Patience);

        Assert.Equal(DagRunState.Succeeded, run.State);
        Assert.Equal(["a", "b", "c"], run.Steps.Select(s => s.Id));
        Assert.All(run.Steps, s => Assert.Equal(StepState.Succeeded, s.State));
        Assert.True(run.Steps[1].StartedAt >= run.Steps[0].FinishedAt);
        Assert.True(run.Steps[2].StartedAt >= run.Steps[1].FinishedAt);
        var execution = await Sdk.GetExecutionAsync(run.Steps[1].ExecutionId!);
        Assert.Equal("slept 20 ms\n", execution!.Attempts.Single().Output);
        Assert.Equal(run.Id, (await Sdk.ListDagRunsAsync(dag.Id)).Items.Single().Id);
    }

    [Fact]
    public async Task ScheduleDag_WithACycle_ThrowsNamingTheCycle_AndStoresNothing()
    {
        var error = await Assert.ThrowsAsync<JobValidationException>(() => Sdk.ScheduleDagAsync("sdk-cycle", Manual(
            Step("a", ActionSpec.RunHandler("noop"), "c"),
            Step("b", ActionSpec.RunHandler("noop"), "a"),
            Step("c", ActionSpec.RunHandler("noop"), "b"))));

        Assert.Contains(error.Errors, e => e.Message.Contains("a → b → c → a", StringComparison.Ordinal));
        Assert.Contains("a → b → c → a", error.Message);
        Assert.Null(await Sdk.GetDagAsync("sdk-cycle"));
    }

    [Fact]
    public async Task ScheduleDag_WithAnUnknownDependency_ThrowsNamingTheField()
    {
        var error = await Assert.ThrowsAsync<JobValidationException>(() => Sdk.ScheduleDagAsync("sdk-unknown-dep", Manual(
            Step("a", ActionSpec.RunHandler("noop")),
            Step("b", ActionSpec.RunHandler("noop"), "missing"))));

        Assert.Contains(error.Errors, e => e.Field == "steps[1].dependsOn[0]");
        Assert.Null(await Sdk.GetDagAsync("sdk-unknown-dep"));
    }

    [Fact]
    public async Task MissingDagOrRun_ThrowsNotFound()
    {
        const string run = "sdk-no-such-dag@20260101T000000.0000000Z";

        await Assert.ThrowsAsync<JobNotFoundException>(() => Sdk.TriggerDagAsync("sdk-no-such-dag"));
        await Assert.ThrowsAsync<JobNotFoundException>(() => Sdk.PauseDagAsync("sdk-no-such-dag"));
        await Assert.ThrowsAsync<JobNotFoundException>(() => Sdk.ResumeDagAsync("sdk-no-such-dag"));
        await Assert.ThrowsAsync<JobNotFoundException>(() => Sdk.ListDagRunsAsync("sdk-no-such-dag"));
        await Assert.ThrowsAsync<JobNotFoundException>(() => Sdk.CancelDagRunAsync(run));
        await Assert.ThrowsAsync<JobNotFoundException>(() => Sdk.RetryDagRunAsync(run));
        await Assert.ThrowsAsync<JobNotFoundException>(() => Sdk.WaitForDagRunAsync(run, TimeSpan.FromSeconds(1)));
        Assert.False(await Sdk.DeleteDagAsync("sdk-no-such-dag"));
        Assert.Null(await Sdk.GetDagAsync("sdk-no-such-dag"));
        Assert.Null(await Sdk.GetDagRunAsync(run));
    }

    [Fact]
    public async Task TriggerDag_WithAnIdempotencyKey_RetriedAfterATimeout_GetsTheSameRun()
    {
        await Sdk.ScheduleDagAsync("sdk-dag-idempotent", Manual(Step("a", ActionSpec.RunHandler("noop"))));

        var first = await Sdk.TriggerDagAsync("sdk-dag-idempotent", idempotencyKey: "invoice-7");
        var retried = await Sdk.TriggerDagAsync("sdk-dag-idempotent", idempotencyKey: "invoice-7");
        var unkeyed = await Sdk.TriggerDagAsync("sdk-dag-idempotent");

        Assert.Equal(first.Id, retried.Id);
        Assert.NotEqual(first.Id, unkeyed.Id);
        await Sdk.WaitForDagRunAsync(first.Id, Patience);
        await Sdk.WaitForDagRunAsync(unkeyed.Id, Patience);
        Assert.Equal(2, (await Sdk.ListDagRunsAsync("sdk-dag-idempotent")).Items.Length);
    }

    [Fact]
    public async Task TriggerDag_WithParameters_HandsThemToEveryStep()
    {
        await Sdk.ScheduleDagAsync("sdk-dag-params", Manual(
            Step("check", ActionSpec.Run("sh", "-c", """test "$JOBSCHEDULER_PARAM_REGION" = eu-west"""))));

        var started = await Sdk.TriggerDagAsync("sdk-dag-params", new DagTriggerOptions { Parameters = new() { ["region"] = "eu-west" } });
        var run = await Sdk.WaitForDagRunAsync(started.Id, Patience);

        Assert.Equal(DagRunState.Succeeded, run.State);
        Assert.Equal("eu-west", run.Parameters!["region"]);
    }

    [Fact]
    public async Task WaitForDagRun_PastItsTimeout_ThrowsTimeout_AndCancelStopsTheRun()
    {
        await Sdk.ScheduleDagAsync("sdk-dag-slow", Manual(
            Step("slow", ActionSpec.RunHandler("sleep", new { ms = 20_000 })),
            Step("after", ActionSpec.RunHandler("noop"), "slow")));
        var started = await Sdk.TriggerDagAsync("sdk-dag-slow");

        await Assert.ThrowsAsync<TimeoutException>(() => Sdk.WaitForDagRunAsync(started.Id, TimeSpan.FromMilliseconds(300)));
        var cancelled = await Sdk.CancelDagRunAsync(started.Id);
        var run = await Sdk.WaitForDagRunAsync(cancelled.Id, TimeSpan.FromSeconds(5));

        Assert.Equal(DagRunState.Cancelled, run.State);
        Assert.Null(run.Steps.Single(s => s.Id == "after").ExecutionId);
    }

    [Fact]
    public async Task RetryDagRun_OfASucceededRun_ThrowsWithTheReason()
    {
        await Sdk.ScheduleDagAsync("sdk-dag-ok", Manual(Step("a", ActionSpec.RunHandler("noop"))));
        var run = await Sdk.WaitForDagRunAsync((await Sdk.TriggerDagAsync("sdk-dag-ok")).Id, Patience);

        var error = await Assert.ThrowsAsync<JobValidationException>(() => Sdk.RetryDagRunAsync(run.Id));

        Assert.NotEmpty(error.Errors);
        Assert.StartsWith("The DAG run cannot be retried", error.Message);
    }

    [Fact]
    public async Task RetryDagRun_OfAFailedRun_RerunsTheFailedStep()
    {
        var marker = Path.Combine(Path.GetTempPath(), $"jobscheduler-sdk-marker-{Guid.NewGuid():n}");
        try
        {
            await Sdk.ScheduleDagAsync("sdk-dag-retry", Manual(
                Step("ok", ActionSpec.RunHandler("noop")),
                Step("flaky", ActionSpec.Run("test", "-f", marker), "ok")));
            var failed = await Sdk.WaitForDagRunAsync((await Sdk.TriggerDagAsync("sdk-dag-retry")).Id, Patience);
            Assert.Equal(DagRunState.Failed, failed.State);

            await File.WriteAllTextAsync(marker, "");
            await Sdk.RetryDagRunAsync(failed.Id);
            var retried = await Sdk.WaitForDagRunAsync(failed.Id, Patience);

            Assert.Equal(DagRunState.Succeeded, retried.State);
            Assert.Equal(failed.Steps[0].ExecutionId, retried.Steps[0].ExecutionId);
            Assert.Equal(DagRunId.StepExecution(failed.Id, "flaky", 2), retried.Steps[1].ExecutionId);
        }
        finally
        {
            File.Delete(marker);
        }
    }

    [Fact]
    public async Task ListDags_ByOwner_AndPauseResumeDelete()
    {
        await Sdk.ScheduleDagAsync("sdk-dag-listed", Manual(Step("a", ActionSpec.RunHandler("noop"))) with
        {
            Schedule = ScheduleSpec.Interval(TimeSpan.FromHours(1)),
            Tags = new() { ["team"] = "sdk" },
        });

        var mine = await Sdk.ListDagsAsync(new DagQuery { Owner = TestLogin.Admin, Tag = "team:sdk" });
        var paused = await Sdk.PauseDagAsync("sdk-dag-listed");
        var resumed = await Sdk.ResumeDagAsync("sdk-dag-listed");

        Assert.Equal("sdk-dag-listed", mine.Items.Single().Id);
        Assert.Equal(JobState.Paused, paused.State);
        Assert.Null(paused.NextFireAt);
        Assert.Equal(JobState.Active, resumed.State);
        Assert.NotNull(resumed.NextFireAt);
        Assert.True(await Sdk.DeleteDagAsync("sdk-dag-listed"));
        Assert.Null(await Sdk.GetDagAsync("sdk-dag-listed"));
    }
}
