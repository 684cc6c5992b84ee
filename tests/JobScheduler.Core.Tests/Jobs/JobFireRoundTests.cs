using JobScheduler.Core.Jobs;

namespace JobScheduler.Core.Tests.Jobs;

public class JobFireRoundTests
{
    private static readonly DateTimeOffset PlannedAt = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly FireOptions Options = new(TimeSpan.FromMinutes(1), MaxCatchUpFires: 3);

    private static DateTimeOffset At(int hour, int minute = 0, int second = 0) => new(2026, 1, 15, hour, minute, second, TimeSpan.Zero);

    private static FireSchedule Hourly => FireSchedule.Create(ScheduleSpec.Cron("0 * * * *"), PlannedAt);

    private static JobInfo Job(
        DateTimeOffset? nextFireAt,
        MisfirePolicy misfire = MisfirePolicy.FireOnce,
        ConcurrencyPolicy concurrency = ConcurrencyPolicy.Allow,
        long skippedFires = 0) => new()
        {
            Id = "job",
            State = JobState.Active,
            Schedule = ScheduleSpec.Cron("0 * * * *"),
            NextFireAt = nextFireAt,
            Misfire = misfire,
            Concurrency = concurrency,
            SkippedFires = skippedFires,
            LastFireAt = At(8),
        };

    [Fact]
    public void Plan_NotDueYet_ReturnsNull() =>
        Assert.Null(JobFireRound.Plan(Job(At(10)), Hourly, At(9, 59, 59), Options));

    [Fact]
    public void Plan_OnTime_FiresTheInstantAndPlansTheNext()
    {
        var round = JobFireRound.Plan(Job(At(10)), Hourly, At(10, 0, 0), Options)!;

        Assert.Equal([At(10)], round.Instants);
        Assert.Equal(FireDecision.Start, round.Decide(running: 0));
        var job = round.Finish();
        Assert.Equal(At(11), job.NextFireAt);
        Assert.Equal(At(10), job.LastFireAt);
        Assert.Equal(0, job.SkippedFires);
        Assert.Equal(JobState.Active, job.State);
    }

    [Fact]
    public void Plan_MisfireFireOnce_FiresTheLatestMissedAndCountsTheRest()
    {
        var round = JobFireRound.Plan(Job(At(10)), Hourly, At(13, 30), Options)!;

        Assert.Equal([At(13)], round.Instants);
        Assert.Equal(3, round.MisfireSkipped);
        var job = round.Finish();
        Assert.Equal(3, job.SkippedFires);
        Assert.Equal(At(14), job.NextFireAt);
        Assert.Equal(At(13), job.LastFireAt);
    }

    [Fact]
    public void Plan_MisfireSkip_FiresNothingKeepsLastFireAndCountsAll()
    {
        var round = JobFireRound.Plan(Job(At(10), MisfirePolicy.Skip, skippedFires: 2), Hourly, At(13, 30), Options)!;

        Assert.Empty(round.Instants);
        var job = round.Finish();
        Assert.Equal(6, job.SkippedFires);
        Assert.Equal(At(8), job.LastFireAt);
        Assert.Equal(At(14), job.NextFireAt);
    }

    [Fact]
    public void Plan_MisfireFireAll_ReplaysUpToTheCatchUpBound()
    {
        var round = JobFireRound.Plan(Job(At(6), MisfirePolicy.FireAll), Hourly, At(13, 30), Options)!;

        Assert.Equal([At(6), At(7), At(8)], round.Instants);
        Assert.Equal(5, round.Finish().SkippedFires);
    }

    [Fact]
    public void Decide_AllowWithRunningExecutions_Starts()
    {
        var round = JobFireRound.Plan(Job(At(10)), Hourly, At(10), Options)!;

        Assert.False(round.NeedsRunning);
        Assert.Equal(FireDecision.Start, round.Decide(running: 2));
    }

    [Fact]
    public void Decide_ForbidWithARunningExecution_SkipsAndCounts()
    {
        var round = JobFireRound.Plan(Job(At(10), concurrency: ConcurrencyPolicy.Forbid, skippedFires: 1), Hourly, At(10), Options)!;

        Assert.True(round.NeedsRunning);
        Assert.Equal(FireDecision.Skip, round.Decide(running: 1));
        var job = round.Finish();
        Assert.Equal(2, job.SkippedFires);
        // The instant was due and is behind the job even though it did not run.
        Assert.Equal(At(11), job.NextFireAt);
    }

    [Fact]
    public void Decide_ForbidWithNothingRunning_Starts()
    {
        var round = JobFireRound.Plan(Job(At(10), concurrency: ConcurrencyPolicy.Forbid), Hourly, At(10), Options)!;

        Assert.Equal(FireDecision.Start, round.Decide(running: 0));
        Assert.Equal(0, round.Finish().SkippedFires);
    }

    [Fact]
    public void Decide_ReplaceWithARunningExecution_CancelsThenStarts()
    {
        var round = JobFireRound.Plan(Job(At(10), concurrency: ConcurrencyPolicy.Replace), Hourly, At(10), Options)!;

        Assert.Equal(FireDecision.CancelRunningThenStart, round.Decide(running: 1));
        Assert.Equal(0, round.Finish().SkippedFires);
    }

    [Fact]
    public void Finish_OnceJobFired_IsCompletedWithNoNextFire()
    {
        var once = FireSchedule.Create(ScheduleSpec.OnceAt(At(10)), PlannedAt);
        var job = Job(At(10)) with { Schedule = ScheduleSpec.OnceAt(At(10)), LastFireAt = null };

        var round = JobFireRound.Plan(job, once, At(10, 0, 1), Options)!;

        Assert.Equal([At(10)], round.Instants);
        var after = round.Finish();
        Assert.Equal(JobState.Completed, after.State);
        Assert.Null(after.NextFireAt);
        Assert.Equal(At(10), after.LastFireAt);
    }
}
