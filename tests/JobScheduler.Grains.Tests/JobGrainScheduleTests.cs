using JobScheduler.Core.Storage;
using JobScheduler.Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace JobScheduler.Grains.Tests;

/// <summary>
/// Fire times, driven by a fake scheduler clock. After moving the clock the tests call <c>FireDueAsync</c>
/// themselves: it is idempotent, so whether the job's own timer got there first or not, every due fire has been
/// handled when it returns.
/// </summary>
public sealed class JobGrainScheduleTests(FakeClockCluster fixture) : IClassFixture<FakeClockCluster>
{
    private static readonly ActionSpec Noop = ActionSpec.RunHandler("noop");

    private IJobGrain Job(string id) => fixture.Client.GetGrain<IJobGrain>(id);

    private async Task<JobInfo> CreateAsync(string id, JobSpec spec)
    {
        var result = await Job(id).PutAsync(spec, "tester", createOnly: false);
        Assert.True(result.IsValid, string.Join("; ", result.Errors.Select(e => $"{e.Field}: {e.Message}")));
        return result.Job!;
    }

    private async Task AdvanceAsync(string jobId, TimeSpan by)
    {
        fixture.Clock.Advance(by);
        await Job(jobId).FireDueAsync();
    }

    private async Task<ExecutionInfo[]> ExecutionsAsync(string jobId)
    {
        var page = await Job(jobId).ListExecutionsAsync(new ExecutionQuery { Limit = 500 });
        return page!.Items;
    }

    [Fact]
    public async Task CronWithSecondsField_FiresEverySecond_OneExecutionPerInstant()
    {
        var now = fixture.Clock.GetUtcNow();
        var job = await CreateAsync("cron-seconds", new JobSpec { Schedule = ScheduleSpec.Cron("* * * * * *"), Action = Noop });
        var first = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, now.Second, TimeSpan.Zero).AddSeconds(1);
        Assert.Equal(first, job.NextFireAt);

        for (var i = 0; i < 3; i++)
        {
            await AdvanceAsync(job.Id, TimeSpan.FromSeconds(1));
            var execution = await fixture.CompletedAsync(ExecutionId.For(job.Id, first.AddSeconds(i)));
            Assert.Equal(ExecutionState.Succeeded, execution.State);
            Assert.Equal(first.AddSeconds(i), execution.ScheduledAt);
        }

        // Firing the same instant again (a duplicate delivery) creates nothing new.
        await Job(job.Id).FireDueAsync();
        var executions = await ExecutionsAsync(job.Id);
        Assert.Equal(3, executions.Length);
        Assert.Equal(first.AddSeconds(2), executions[0].ScheduledAt);
        Assert.Equal(first.AddSeconds(3), (await Job(job.Id).GetAsync())!.NextFireAt);
        await Job(job.Id).DeleteAsync();
    }

    [Fact]
    public async Task OnceJob_FiresAtItsInstant_ThenIsCompleted()
    {
        var at = fixture.Clock.GetUtcNow().AddSeconds(30);
        var job = await CreateAsync("once", new JobSpec { Schedule = ScheduleSpec.OnceAt(at), Action = Noop });
        Assert.Equal(at, job.NextFireAt);

        await AdvanceAsync(job.Id, TimeSpan.FromSeconds(29));
        Assert.Empty(await ExecutionsAsync(job.Id));

        await AdvanceAsync(job.Id, TimeSpan.FromSeconds(1));
        var execution = await fixture.CompletedAsync(ExecutionId.For(job.Id, at));
        Assert.Equal(ExecutionState.Succeeded, execution.State);

        var after = await Job(job.Id).GetAsync();
        Assert.Equal(JobState.Completed, after!.State);
        Assert.Null(after.NextFireAt);
        Assert.Equal(at, after.LastFireAt);
    }

    [Fact]
    public async Task FarFutureJob_KeepsNoReminder_AndTheDueJobsScannerWakesItToFire()
    {
        var at = fixture.Clock.GetUtcNow().AddHours(2);
        var job = await CreateAsync("far-future", new JobSpec { Schedule = ScheduleSpec.OnceAt(at), Action = Noop });
        var reminders = fixture.Cluster.Silos[0].ServiceProvider.GetRequiredService<IReminderTable>();
        Assert.DoesNotContain((await reminders.ReadRows(0, 0)).Reminders, r => r.GrainId.ToString().StartsWith("job/", StringComparison.Ordinal));

        // Nothing of the job stays in memory; the time comes; only the scanner can bring it back.
        await fixture.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        fixture.Clock.Advance(at - fixture.Clock.GetUtcNow() - TimeSpan.FromSeconds(30));
        var scanner = fixture.Client.GetGrain<Jobs.IDueJobsScannerGrain>(0);
        Assert.True(await scanner.ScanAsync() >= 1);
        // The next scan reads only the slice of time after the last one's window: nothing new is due in it.
        Assert.Equal(0, await scanner.ScanAsync());
        fixture.Clock.Advance(TimeSpan.FromSeconds(30));

        var execution = await fixture.CompletedAsync(ExecutionId.For(job.Id, at));
        Assert.Equal(ExecutionState.Succeeded, execution.State);
    }

    [Fact]
    public async Task IntervalJob_FiresAtStartAtPlusMultiples_WithoutDrift()
    {
        var startAt = fixture.Clock.GetUtcNow().AddSeconds(10);
        var job = await CreateAsync("interval", new JobSpec { Schedule = ScheduleSpec.Interval(TimeSpan.FromSeconds(10), startAt), Action = Noop });
        Assert.Equal(startAt, job.NextFireAt);

        // The clock arrives 3 s late each time; fire times stay on the startAt + k·10 s grid.
        await AdvanceAsync(job.Id, TimeSpan.FromSeconds(13));
        await AdvanceAsync(job.Id, TimeSpan.FromSeconds(10));
        var executions = await ExecutionsAsync(job.Id);
        Assert.Equal([startAt.AddSeconds(10), startAt], executions.Select(e => e.ScheduledAt));
        Assert.Equal(startAt.AddSeconds(20), (await Job(job.Id).GetAsync())!.NextFireAt);
        await Job(job.Id).DeleteAsync();
    }

    [Fact]
    public async Task PausedJob_DoesNotFire_AndResumePlansFromNow()
    {
        var job = await CreateAsync("paused", new JobSpec { Schedule = ScheduleSpec.Interval(TimeSpan.FromSeconds(5)), Action = Noop });
        var paused = await Job(job.Id).PauseAsync();
        Assert.Equal(JobState.Paused, paused!.State);
        Assert.Null(paused.NextFireAt);

        await AdvanceAsync(job.Id, TimeSpan.FromSeconds(30));
        Assert.Empty(await ExecutionsAsync(job.Id));

        var resumed = await Job(job.Id).ResumeAsync();
        Assert.Equal(JobState.Active, resumed!.State);
        Assert.True(resumed.NextFireAt >= fixture.Clock.GetUtcNow());
        Assert.True(resumed.NextFireAt <= fixture.Clock.GetUtcNow().AddSeconds(5));
        await Job(job.Id).DeleteAsync();
    }

    [Theory]
    [InlineData(MisfirePolicy.FireOnce, 1)]
    [InlineData(MisfirePolicy.Skip, 0)]
    [InlineData(MisfirePolicy.FireAll, 10)]
    public async Task MissedFires_FollowTheMisfirePolicy(MisfirePolicy policy, int expectedRuns)
    {
        var id = $"misfire-{policy}".ToLowerInvariant();
        // Every 10 minutes; the clock then jumps 100 minutes at once, as after downtime.
        var job = await CreateAsync(id, new JobSpec { Schedule = ScheduleSpec.Cron("*/10 * * * *"), Action = Noop, Misfire = policy });
        var due = job.NextFireAt!.Value;
        await AdvanceAsync(id, due - fixture.Clock.GetUtcNow() + TimeSpan.FromMinutes(95));

        var executions = await ExecutionsAsync(id);
        Assert.Equal(expectedRuns, executions.Length);
        var after = (await Job(id).GetAsync())!;
        Assert.Equal(10 - expectedRuns, after.SkippedFires);
        Assert.True(after.NextFireAt > fixture.Clock.GetUtcNow());
        if (policy == MisfirePolicy.FireOnce)
        {
            // The one catch-up run stands for the latest missed instant.
            Assert.Equal(due.AddMinutes(90), executions[0].ScheduledAt);
        }
        await Job(id).DeleteAsync();
    }

    [Fact]
    public async Task ConcurrencyForbid_SkipsAFireWhileTheLastRunIsStillRunning()
    {
        var job = await CreateAsync("forbid", new JobSpec
        {
            Schedule = ScheduleSpec.Cron("* * * * * *"),
            Action = ActionSpec.RunHandler(BlockingHandler.Name),
            Concurrency = ConcurrencyPolicy.Forbid,
        });
        var first = job.NextFireAt!.Value;
        await AdvanceAsync(job.Id, first - fixture.Clock.GetUtcNow());
        var firstId = ExecutionId.For(job.Id, first);
        await BlockingHandler.Started(firstId);

        await AdvanceAsync(job.Id, TimeSpan.FromSeconds(1));
        Assert.Single(await ExecutionsAsync(job.Id));
        Assert.Equal(1, (await Job(job.Id).GetAsync())!.SkippedFires);

        BlockingHandler.Release(firstId);
        await fixture.CompletedAsync(firstId);
        await AdvanceAsync(job.Id, TimeSpan.FromSeconds(1));
        Assert.Equal(2, (await ExecutionsAsync(job.Id)).Length);
        await Job(job.Id).PauseAsync();
        BlockingHandler.Release(ExecutionId.For(job.Id, first.AddSeconds(2)));
    }

    [Fact]
    public async Task ConcurrencyReplace_CancelsTheRunningExecution()
    {
        var job = await CreateAsync("replace", new JobSpec
        {
            Schedule = ScheduleSpec.Cron("* * * * * *"),
            Action = ActionSpec.RunHandler(BlockingHandler.Name),
            Concurrency = ConcurrencyPolicy.Replace,
        });
        var first = job.NextFireAt!.Value;
        await AdvanceAsync(job.Id, first - fixture.Clock.GetUtcNow());
        await BlockingHandler.Started(ExecutionId.For(job.Id, first));

        await AdvanceAsync(job.Id, TimeSpan.FromSeconds(1));
        var replaced = await fixture.CompletedAsync(ExecutionId.For(job.Id, first));
        Assert.Equal(ExecutionState.Cancelled, replaced.State);
        Assert.Equal(AttemptOutcome.Cancelled, replaced.Attempts.Single().Outcome);
        await BlockingHandler.Started(ExecutionId.For(job.Id, first.AddSeconds(1)));
        await Job(job.Id).PauseAsync();
        BlockingHandler.Release(ExecutionId.For(job.Id, first.AddSeconds(1)));
    }

    [Fact]
    public async Task JobState_StaysSmall_WhenExecutionsEndWhileTheJobIsNotActive()
    {
        var job = await CreateAsync("comes-and-goes", new JobSpec { Schedule = ScheduleSpec.Manual(), Action = Noop });
        var management = fixture.Client.GetGrain<IManagementGrain>(0);
        for (var i = 0; i < 40; i++)
        {
            var result = await Job(job.Id).TriggerAsync(null);
            await fixture.CompletedAsync(result.ExecutionId!);
            // The job heard of the end but has not written since; deactivating it now leaves that record stale in storage.
            await management.ForceActivationCollection(TimeSpan.Zero);
        }

        var stored = new GrainState<JobGrainState>();
        await fixture.Cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(JobSchedulerSiloExtensions.StorageName)
            .ReadStateAsync("job", GrainId.Create("job", job.Id), stored);
        Assert.InRange(stored.State!.Executions.Count, 0, 17);
        Assert.Equal(ClusterFixture.MaxExecutionsPerJob, (await ExecutionsAsync(job.Id)).Length);
    }

    [Fact]
    public async Task History_KeepsTheConfiguredNumberOfExecutions()
    {
        var job = await CreateAsync("retention", new JobSpec { Schedule = ScheduleSpec.Manual(), Action = Noop });
        for (var i = 0; i < ClusterFixture.MaxExecutionsPerJob + 5; i++)
        {
            var result = await Job(job.Id).TriggerAsync(null);
            await fixture.CompletedAsync(result.ExecutionId!);
        }
        var executions = await ExecutionsAsync(job.Id);
        Assert.Equal(ClusterFixture.MaxExecutionsPerJob, executions.Length);
        Assert.Null(job.NextFireAt);
    }

    [Fact]
    public async Task History_OlderThanTheMaximumAge_IsDroppedByTheMaintenanceSweep()
    {
        var job = await CreateAsync("aged", new JobSpec { Schedule = ScheduleSpec.Manual(), Action = Noop });
        var old = (await Job(job.Id).TriggerAsync(null)).ExecutionId!;
        await fixture.CompletedAsync(old);

        fixture.Clock.Advance(ClusterFixture.MaxExecutionAge + TimeSpan.FromHours(1));
        var recent = (await Job(job.Id).TriggerAsync(null)).ExecutionId!;
        await fixture.CompletedAsync(recent);
        await fixture.SweepAsync();

        Assert.Equal([recent], (await ExecutionsAsync(job.Id)).Select(e => e.Id));
        Assert.Null(await fixture.Client.GetGrain<IExecutionGrain>(old).GetAsync());
        await Job(job.Id).DeleteAsync();
    }

    [Fact]
    public async Task ReplacingASchedule_ReplansTheNextFire()
    {
        var job = await CreateAsync("replan", new JobSpec { Schedule = ScheduleSpec.Cron("0 0 * * *"), Action = Noop });
        var replaced = await CreateAsync(job.Id, new JobSpec { Schedule = ScheduleSpec.Interval(TimeSpan.FromSeconds(7)), Action = Noop });
        Assert.Equal(fixture.Clock.GetUtcNow().AddSeconds(7), replaced.NextFireAt);
        Assert.Equal(job.CreatedAt, replaced.CreatedAt);
        await Job(job.Id).DeleteAsync();
        Assert.Null(await Job(job.Id).GetAsync());
    }
}
