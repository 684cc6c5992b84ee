namespace JobScheduler.Core.Tests;

public class MisfirePlannerTests
{
    private static readonly DateTimeOffset PlannedAt = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Threshold = TimeSpan.FromMinutes(1);
    private const int MaxCatchUp = 100;

    private static DateTimeOffset At(int hour, int minute = 0, int second = 0) =>
        new(2026, 1, 15, hour, minute, second, TimeSpan.Zero);

    private static FireSchedule Hourly => FireSchedule.Create(ScheduleSpec.Cron("0 * * * *"), PlannedAt);

    private static FireSchedule EverySecond => FireSchedule.Create(ScheduleSpec.Cron("* * * * * *"), PlannedAt);

    [Fact]
    public void Plan_NoNextFire_FiresNothing()
    {
        var plan = MisfirePlanner.Plan(Hourly, null, At(10), Threshold, MisfirePolicy.FireAll, MaxCatchUp);

        Assert.Empty(plan.Fire);
        Assert.Equal(0, plan.Skipped);
        Assert.Null(plan.NextFireAt);
    }

    [Fact]
    public void Plan_NextFireInTheFuture_FiresNothingAndKeepsNextFire()
    {
        var plan = MisfirePlanner.Plan(Hourly, At(11), At(10, 59, 59), Threshold, MisfirePolicy.FireOnce, MaxCatchUp);

        Assert.Empty(plan.Fire);
        Assert.Equal(0, plan.Skipped);
        Assert.Equal(At(11), plan.NextFireAt);
    }

    [Theory]
    [InlineData(MisfirePolicy.FireOnce)]
    [InlineData(MisfirePolicy.Skip)]
    [InlineData(MisfirePolicy.FireAll)]
    public void Plan_OnTimeFire_RunsWhateverThePolicy(MisfirePolicy policy)
    {
        var plan = MisfirePlanner.Plan(Hourly, At(10), At(10, 0, 30), Threshold, policy, MaxCatchUp);

        Assert.Equal([At(10)], plan.Fire);
        Assert.Equal(0, plan.Skipped);
        Assert.Equal(At(11), plan.NextFireAt);
    }

    [Theory]
    [InlineData(MisfirePolicy.FireOnce)]
    [InlineData(MisfirePolicy.Skip)]
    [InlineData(MisfirePolicy.FireAll)]
    public void Plan_SeveralOnTimeFires_AllRunOldestFirst(MisfirePolicy policy)
    {
        var schedule = FireSchedule.Create(ScheduleSpec.Cron("*/10 * * * * *"), PlannedAt);

        var plan = MisfirePlanner.Plan(schedule, At(10, 0, 0), At(10, 0, 35), Threshold, policy, MaxCatchUp);

        Assert.Equal([At(10, 0, 0), At(10, 0, 10), At(10, 0, 20), At(10, 0, 30)], plan.Fire);
        Assert.Equal(0, plan.Skipped);
        Assert.Equal(At(10, 0, 40), plan.NextFireAt);
    }

    [Fact]
    public void Plan_FireDueExactlyThresholdAgo_IsOnTime()
    {
        var plan = MisfirePlanner.Plan(Hourly, At(10), At(10) + Threshold, Threshold, MisfirePolicy.Skip, MaxCatchUp);

        Assert.Equal([At(10)], plan.Fire);
        Assert.Equal(0, plan.Skipped);
    }

    [Fact]
    public void Plan_FireDueJustOverThresholdAgo_IsAMisfire()
    {
        var plan = MisfirePlanner.Plan(Hourly, At(10), At(10) + Threshold + TimeSpan.FromTicks(1), Threshold, MisfirePolicy.Skip, MaxCatchUp);

        Assert.Empty(plan.Fire);
        Assert.Equal(1, plan.Skipped);
    }

    // Hourly job down from before 06:00 until 10:30: 06:00, 07:00, 08:00, 09:00 and 10:00 were all missed.

    [Fact]
    public void Plan_LateFiresWithFireOnce_RunsOneCatchUpForTheLatest()
    {
        var plan = MisfirePlanner.Plan(Hourly, At(6), At(10, 30), Threshold, MisfirePolicy.FireOnce, MaxCatchUp);

        Assert.Equal([At(10)], plan.Fire);
        Assert.Equal(4, plan.Skipped);
        Assert.Equal(At(11), plan.NextFireAt);
    }

    [Fact]
    public void Plan_LateFiresWithSkip_RunsNoneAndCountsThemSkipped()
    {
        var plan = MisfirePlanner.Plan(Hourly, At(6), At(10, 30), Threshold, MisfirePolicy.Skip, MaxCatchUp);

        Assert.Empty(plan.Fire);
        Assert.Equal(5, plan.Skipped);
        Assert.Equal(At(11), plan.NextFireAt);
    }

    [Fact]
    public void Plan_LateFiresWithFireAll_RunsAllOldestFirst()
    {
        var plan = MisfirePlanner.Plan(Hourly, At(6), At(10, 30), Threshold, MisfirePolicy.FireAll, MaxCatchUp);

        Assert.Equal([At(6), At(7), At(8), At(9), At(10)], plan.Fire);
        Assert.Equal(0, plan.Skipped);
        Assert.Equal(At(11), plan.NextFireAt);
    }

    [Fact]
    public void Plan_LateFiresWithFireAllBeyondMaxCatchUp_RunsOnlyTheOldestMaxCatchUp()
    {
        var plan = MisfirePlanner.Plan(Hourly, At(6), At(10, 30), Threshold, MisfirePolicy.FireAll, maxCatchUp: 3);

        Assert.Equal([At(6), At(7), At(8)], plan.Fire);
        Assert.Equal(2, plan.Skipped);
        Assert.Equal(At(11), plan.NextFireAt);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void Plan_FireAllWithNoCatchUpAllowed_RunsNoLateFire(int maxCatchUp)
    {
        var plan = MisfirePlanner.Plan(Hourly, At(6), At(10, 30), Threshold, MisfirePolicy.FireAll, maxCatchUp);

        Assert.Empty(plan.Fire);
        Assert.Equal(5, plan.Skipped);
        Assert.Equal(At(11), plan.NextFireAt);
    }

    // Down from before 08:00 until 10:00:30: 08:00 and 09:00 are misfires, 10:00 is on time.

    [Fact]
    public void Plan_LateAndOnTimeWithFireOnce_OnTimeFireStandsInForTheCatchUp()
    {
        var plan = MisfirePlanner.Plan(Hourly, At(8), At(10, 0, 30), Threshold, MisfirePolicy.FireOnce, MaxCatchUp);

        Assert.Equal([At(10)], plan.Fire);
        Assert.Equal(2, plan.Skipped);
    }

    [Fact]
    public void Plan_LateAndOnTimeWithSkip_RunsOnlyTheOnTimeFire()
    {
        var plan = MisfirePlanner.Plan(Hourly, At(8), At(10, 0, 30), Threshold, MisfirePolicy.Skip, MaxCatchUp);

        Assert.Equal([At(10)], plan.Fire);
        Assert.Equal(2, plan.Skipped);
    }

    [Fact]
    public void Plan_LateAndOnTimeWithFireAll_RunsAllOldestFirst()
    {
        var plan = MisfirePlanner.Plan(Hourly, At(8), At(10, 0, 30), Threshold, MisfirePolicy.FireAll, MaxCatchUp);

        Assert.Equal([At(8), At(9), At(10)], plan.Fire);
        Assert.Equal(0, plan.Skipped);
    }

    [Fact]
    public void Plan_NextFireAt_IsFirstOccurrenceAfterNow()
    {
        var plan = MisfirePlanner.Plan(Hourly, At(9), At(10), Threshold, MisfirePolicy.FireAll, MaxCatchUp);

        // 10:00 itself is due (not after now), so it fires and the next one is 11:00.
        Assert.Equal([At(9), At(10)], plan.Fire);
        Assert.Equal(At(11), plan.NextFireAt);
    }

    [Fact]
    public void Plan_IntervalSchedule_NextFireAtStaysOnTheAnchorGrid()
    {
        var startAt = At(9, 0, 7);
        var schedule = FireSchedule.Create(ScheduleSpec.Interval(TimeSpan.FromMinutes(10), startAt), PlannedAt);

        var plan = MisfirePlanner.Plan(schedule, startAt, At(9, 31), Threshold, MisfirePolicy.FireOnce, MaxCatchUp);

        Assert.Equal([At(9, 30, 7)], plan.Fire);
        Assert.Equal(3, plan.Skipped);
        Assert.Equal(At(9, 40, 7), plan.NextFireAt);
    }

    [Fact]
    public void Plan_OnceScheduleAfterFiring_HasNoNextFire()
    {
        var at = At(10);
        var schedule = FireSchedule.Create(ScheduleSpec.OnceAt(at), PlannedAt);

        var plan = MisfirePlanner.Plan(schedule, at, At(10, 0, 5), Threshold, MisfirePolicy.FireOnce, MaxCatchUp);

        Assert.Equal([at], plan.Fire);
        Assert.Null(plan.NextFireAt);
    }

    [Fact]
    public void Plan_LateOnceScheduleWithFireOnce_StillFiresItOnce()
    {
        var at = At(6);
        var schedule = FireSchedule.Create(ScheduleSpec.OnceAt(at), PlannedAt);

        var plan = MisfirePlanner.Plan(schedule, at, At(10), Threshold, MisfirePolicy.FireOnce, MaxCatchUp);

        Assert.Equal([at], plan.Fire);
        Assert.Equal(0, plan.Skipped);
        Assert.Null(plan.NextFireAt);
    }

    [Fact]
    public void Plan_LateOnceScheduleWithSkip_SkipsItAndHasNoNextFire()
    {
        var at = At(6);
        var schedule = FireSchedule.Create(ScheduleSpec.OnceAt(at), PlannedAt);

        var plan = MisfirePlanner.Plan(schedule, at, At(10), Threshold, MisfirePolicy.Skip, MaxCatchUp);

        Assert.Empty(plan.Fire);
        Assert.Equal(1, plan.Skipped);
        Assert.Null(plan.NextFireAt);
    }

    // ----- huge backlog: a per-second cron left alone for 30 days (2.6 million due instants) -----

    [Theory]
    [InlineData(MisfirePolicy.FireOnce)]
    [InlineData(MisfirePolicy.Skip)]
    [InlineData(MisfirePolicy.FireAll)]
    public void Plan_HugeBacklog_StaysBounded(MisfirePolicy policy)
    {
        var now = At(10);
        var first = now.AddDays(-30);

        var plan = MisfirePlanner.Plan(EverySecond, first, now, Threshold, policy, MaxCatchUp);

        // Late fires are bounded by the catch-up limit; fires within the threshold are on time and always run.
        var onTime = (int)Threshold.TotalSeconds + 1;
        Assert.True(plan.Fire.Count <= MaxCatchUp + onTime, $"{plan.Fire.Count} fires");
        Assert.NotNull(plan.NextFireAt);
        Assert.True(plan.NextFireAt > now, $"next fire {plan.NextFireAt:O} is not after {now:O}");
        Assert.True(plan.Skipped > 0);
    }

    [Fact]
    public void Plan_HugeBacklogWithFireAll_RunsMaxCatchUpOldestFirst()
    {
        var now = At(10);
        var first = now.AddDays(-30);

        var plan = MisfirePlanner.Plan(EverySecond, first, now, Threshold, MisfirePolicy.FireAll, MaxCatchUp);

        var onTime = Enumerable.Range(0, (int)Threshold.TotalSeconds + 1).Select(i => now - Threshold + TimeSpan.FromSeconds(i));
        Assert.Equal(Enumerable.Range(0, MaxCatchUp).Select(i => first.AddSeconds(i)).Concat(onTime), plan.Fire);
        Assert.Equal(now.AddSeconds(1), plan.NextFireAt);
    }

    // The catch-up of fireOnce is "the latest" missed fire; a long outage must not replay an instant from weeks ago.
    [Fact]
    public void Plan_HugeBacklogWithFireOnce_CatchUpIsTheLatestMissedFire()
    {
        var now = At(10);
        var threshold = TimeSpan.FromSeconds(5);

        var plan = MisfirePlanner.Plan(EverySecond, now.AddDays(-30), now, threshold, MisfirePolicy.FireOnce, MaxCatchUp);

        // Fires due within the threshold (09:59:55 … 10:00:00) are on time; the latest of them is now itself.
        Assert.Contains(now, plan.Fire);
        Assert.All(plan.Fire, fire => Assert.True(now - fire <= threshold, $"fired {fire:O}, {now - fire} before now"));
    }

    // "A fire time that is due by no more than the misfire threshold is on time and always runs."
    [Fact]
    public void Plan_HugeBacklogWithSkip_StillRunsTheOnTimeFires()
    {
        var now = At(10);
        var threshold = TimeSpan.FromSeconds(2);

        var plan = MisfirePlanner.Plan(EverySecond, now.AddDays(-30), now, threshold, MisfirePolicy.Skip, MaxCatchUp);

        Assert.Equal([now.AddSeconds(-2), now.AddSeconds(-1), now], plan.Fire);
        Assert.Equal(now.AddSeconds(1), plan.NextFireAt);
    }

    [Fact]
    public void Plan_BacklogJustUnderEnumerationLimit_IsCountedExactly()
    {
        var now = At(10);
        var first = now.AddSeconds(-(MisfirePlanner.MaxEnumerated - 1));

        var plan = MisfirePlanner.Plan(EverySecond, first, now, TimeSpan.Zero, MisfirePolicy.Skip, MaxCatchUp);

        Assert.Equal([now], plan.Fire);
        Assert.Equal(MisfirePlanner.MaxEnumerated - 1, plan.Skipped);
        Assert.Equal(now.AddSeconds(1), plan.NextFireAt);
    }
}
