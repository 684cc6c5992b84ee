using JobScheduler.Testing;
using JobScheduler.Client;

namespace JobScheduler.Api.Tests;

/// <summary>The .NET SDK, connected through the server's gateway like a separate process.</summary>
public sealed class SdkTests(CommandsEnabledServer server) : IClassFixture<CommandsEnabledServer>
{
    private IJobSchedulerClient Sdk => server.Sdk;

    [Fact]
    public async Task ScheduleTriggerAndWait_RunsAHandlerJob()
    {
        var job = await Sdk.ScheduleAsync("sdk-sleep", new JobSpec
        {
            Schedule = ScheduleSpec.Manual(),
            Action = ActionSpec.RunHandler("sleep", new { ms = 50 }),
        });
        Assert.Equal(TestLogin.Admin, job.Owner);

        var executionId = await Sdk.TriggerAsync(job.Id);
        var done = await Sdk.WaitForCompletionAsync(executionId);

        Assert.Equal(ExecutionState.Succeeded, done.State);
        Assert.Equal("slept 50 ms\n", done.Attempts.Single().Output);
        var listed = await Sdk.ListExecutionsAsync(job.Id);
        Assert.Equal(executionId, listed.Items.Single().Id);
    }

    [Fact]
    public async Task IntervalJob_FiresRepeatedly_AndPauseStopsIt()
    {
        var job = await Sdk.ScheduleAsync(new JobSpec
        {
            Schedule = ScheduleSpec.Interval(TimeSpan.FromMilliseconds(300)),
            Action = ActionSpec.RunHandler("noop"),
        });
        var first = job.NextFireAt!.Value;

        var one = await Sdk.WaitForCompletionAsync(ExecutionId.For(job.Id, first));
        var two = await Sdk.WaitForCompletionAsync(ExecutionId.For(job.Id, first.AddMilliseconds(300)));
        var paused = await Sdk.PauseAsync(job.Id);

        Assert.Equal(ExecutionState.Succeeded, one.State);
        Assert.Equal(ExecutionState.Succeeded, two.State);
        Assert.Equal(JobState.Paused, paused.State);
        Assert.Null(paused.NextFireAt);
    }

    [Fact]
    public async Task InvalidSpec_ThrowsValidationExceptionNamingTheField()
    {
        var error = await Assert.ThrowsAsync<JobValidationException>(() => Sdk.ScheduleAsync("sdk-bad", new JobSpec
        {
            Schedule = ScheduleSpec.Cron("0 9 * * *", "Not/AZone"),
            Action = ActionSpec.RunHandler("noop"),
        }));

        Assert.Contains(error.Errors, e => e.Field == "schedule.timeZone");
        Assert.Null(await Sdk.GetJobAsync("sdk-bad"));
    }

    [Fact]
    public async Task MissingJob_ThrowsNotFound()
    {
        await Assert.ThrowsAsync<JobNotFoundException>(() => Sdk.TriggerAsync("no-such-job"));
        await Assert.ThrowsAsync<JobNotFoundException>(() => Sdk.PauseAsync("no-such-job"));
        Assert.False(await Sdk.DeleteAsync("no-such-job"));
    }

    [Fact]
    public async Task TriggerWithAnIdempotencyKey_RetriedAfterATimeout_GetsTheSameExecution()
    {
        await Sdk.ScheduleAsync("sdk-idempotent", new JobSpec { Schedule = ScheduleSpec.Manual(), Action = ActionSpec.RunHandler("noop") });

        var first = await Sdk.TriggerAsync("sdk-idempotent", idempotencyKey: "invoice-7");
        var retried = await Sdk.TriggerAsync("sdk-idempotent", idempotencyKey: "invoice-7");
        var unkeyed = await Sdk.TriggerAsync("sdk-idempotent");

        Assert.Equal(first, retried);
        Assert.NotEqual(first, unkeyed);
        await Sdk.WaitForCompletionAsync(unkeyed);
        Assert.Equal(2, (await Sdk.ListExecutionsAsync("sdk-idempotent")).Items.Length);
        var error = await Assert.ThrowsAsync<JobValidationException>(() => Sdk.TriggerAsync("sdk-idempotent", idempotencyKey: ""));
        Assert.Equal("idempotencyKey", error.Errors.Single().Field);
    }

    [Fact]
    public async Task TriggerWithOverrides_RunsTheOverridingAction()
    {
        await Sdk.ScheduleAsync("sdk-override", new JobSpec { Schedule = ScheduleSpec.Manual(), Action = ActionSpec.RunHandler("noop") });

        var executionId = await Sdk.TriggerAsync("sdk-override", new TriggerOptions { Action = ActionSpec.Run("echo", "overridden") });
        var done = await Sdk.WaitForCompletionAsync(executionId);

        Assert.Equal("overridden\n", done.Attempts.Single().Output);
        Assert.Equal("manual", done.Trigger);
    }
}
