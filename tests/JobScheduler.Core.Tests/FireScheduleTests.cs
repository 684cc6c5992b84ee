namespace JobScheduler.Core.Tests;

public class FireScheduleTests
{
    private static readonly DateTimeOffset PlannedAt = new(2026, 1, 15, 10, 0, 0, TimeSpan.Zero);

    private static DateTimeOffset Utc(int year, int month, int day, int hour, int minute, int second = 0) =>
        new(year, month, day, hour, minute, second, TimeSpan.Zero);

    private static FireSchedule Cron(string expression, string? timeZone = null) =>
        FireSchedule.Create(ScheduleSpec.Cron(expression, timeZone), PlannedAt);

    /// <summary>
    /// The field errors of <paramref name="spec"/>, through the public validator (FireSchedule.TryCreate is internal);
    /// also checks that <see cref="FireSchedule.Create"/> refuses the spec.
    /// </summary>
    private static List<FieldError> Errors(ScheduleSpec spec)
    {
        Assert.Throws<ArgumentException>(() => FireSchedule.Create(spec, PlannedAt));
        var job = new JobSpec { Schedule = spec, Action = ActionSpec.RunHandler("noop") };
        var errors = JobSpecValidator.Validate(job, new ActionRules { Handlers = ["noop"] }, PlannedAt);
        Assert.All(errors, e => Assert.StartsWith("schedule", e.Field));
        return [.. errors];
    }

    // ----- cron: 5 and 6 fields -----

    [Fact]
    public void NextAfter_FiveFieldCron_FiresOnTheMinute()
    {
        var schedule = Cron("*/15 * * * *");

        Assert.Equal(Utc(2026, 1, 15, 10, 15), schedule.NextAfter(Utc(2026, 1, 15, 10, 0, 1)));
    }

    [Fact]
    public void NextAfter_FiveFieldCronAtExactOccurrence_ReturnsTheFollowingOne()
    {
        var schedule = Cron("*/15 * * * *");

        Assert.Equal(Utc(2026, 1, 15, 10, 30), schedule.NextAfter(Utc(2026, 1, 15, 10, 15)));
    }

    [Fact]
    public void NextAfter_SixFieldCronWithSecondsWildcard_FiresOnConsecutiveSeconds()
    {
        var schedule = Cron("* * * * * *");
        var start = Utc(2026, 1, 15, 10, 0, 0);

        var fires = new List<DateTimeOffset>();
        var cursor = start;
        for (var i = 0; i < 5; i++)
        {
            cursor = schedule.NextAfter(cursor)!.Value;
            fires.Add(cursor);
        }

        Assert.Equal(
            [start.AddSeconds(1), start.AddSeconds(2), start.AddSeconds(3), start.AddSeconds(4), start.AddSeconds(5)],
            fires);
    }

    [Fact]
    public void NextAfter_SixFieldCronWithSecondsValue_FiresAtThatSecond()
    {
        var schedule = Cron("30 0 12 * * *");

        Assert.Equal(Utc(2026, 1, 15, 12, 0, 30), schedule.NextAfter(Utc(2026, 1, 15, 10, 0)));
    }

    [Fact]
    public void NextAfter_MacroDaily_FiresAtMidnightUtc()
    {
        var schedule = Cron("@daily");

        Assert.Equal(Utc(2026, 1, 16, 0, 0), schedule.NextAfter(Utc(2026, 1, 15, 10, 0)));
    }

    [Fact]
    public void NextAfter_CronWithNonUtcInput_ReturnsUtcInstant()
    {
        var schedule = Cron("0 12 * * *");
        var inPlusTwo = new DateTimeOffset(2026, 1, 15, 11, 0, 0, TimeSpan.FromHours(2)); // 09:00Z

        var next = schedule.NextAfter(inPlusTwo);

        Assert.Equal(Utc(2026, 1, 15, 12, 0), next);
        Assert.Equal(TimeSpan.Zero, next!.Value.Offset);
    }

    [Fact]
    public void First_Cron_IsFirstOccurrenceAfterPlannedAt()
    {
        var schedule = Cron("0 * * * *");

        Assert.Equal(Utc(2026, 1, 15, 11, 0), schedule.First(PlannedAt));
    }

    // ----- cron: time zones -----

    [Fact]
    public void NextAfter_NineAmNewYorkInWinter_Is1400Utc()
    {
        var schedule = Cron("0 9 * * *", "America/New_York");

        Assert.Equal(Utc(2026, 1, 15, 14, 0), schedule.NextAfter(Utc(2026, 1, 15, 0, 0)));
    }

    [Fact]
    public void NextAfter_NineAmNewYorkInSummer_Is1300Utc()
    {
        var schedule = Cron("0 9 * * *", "America/New_York");

        Assert.Equal(Utc(2026, 7, 15, 13, 0), schedule.NextAfter(Utc(2026, 7, 15, 0, 0)));
    }

    [Fact]
    public void NextAfter_NoTimeZone_ReadsExpressionInUtc()
    {
        var schedule = Cron("0 9 * * *");

        Assert.Equal(Utc(2026, 7, 15, 9, 0), schedule.NextAfter(Utc(2026, 7, 15, 0, 0)));
    }

    [Fact]
    public void NextAfter_ExplicitUtcTimeZone_ReadsExpressionInUtc()
    {
        var schedule = Cron("0 9 * * *", "UTC");

        Assert.Equal(Utc(2026, 7, 15, 9, 0), schedule.NextAfter(Utc(2026, 7, 15, 0, 0)));
    }

    // ----- cron: DST -----

    // Europe/London 2026-03-29: clocks jump from 01:00 GMT to 02:00 BST, so 01:30 local does not exist.
    // Cronos documents that such an occurrence is not skipped but shifted to the next valid time (02:00 BST = 01:00Z).
    [Fact]
    public void NextAfter_DailyCronInSpringForwardGap_FiresOnceAtEndOfGap()
    {
        var schedule = Cron("30 1 * * *", "Europe/London");

        var fires = FiresBetween(schedule, Utc(2026, 3, 28, 0, 0), Utc(2026, 3, 31, 0, 0));

        Assert.Equal(
            [
                Utc(2026, 3, 28, 1, 30), // 01:30 GMT
                Utc(2026, 3, 29, 1, 0),  // 02:00 BST: the shifted 01:30
                Utc(2026, 3, 30, 0, 30), // 01:30 BST
            ],
            fires);
    }

    // Europe/London 2026-10-25: clocks go back from 02:00 BST to 01:00 GMT, so 01:30 local happens twice.
    // A non-interval expression fires once, at the first (BST) 01:30.
    [Fact]
    public void NextAfter_DailyCronInFallBackOverlap_FiresOnlyOnceThatDay()
    {
        var schedule = Cron("30 1 * * *", "Europe/London");

        var fires = FiresBetween(schedule, Utc(2026, 10, 24, 0, 0), Utc(2026, 10, 27, 0, 0));

        Assert.Equal(
            [
                Utc(2026, 10, 24, 0, 30), // 01:30 BST
                Utc(2026, 10, 25, 0, 30), // 01:30 BST, the first of the two 01:30s
                Utc(2026, 10, 26, 1, 30), // 01:30 GMT
            ],
            fires);
    }

    // An interval-based expression ("every 30 minutes") keeps firing through the repeated hour.
    [Fact]
    public void NextAfter_IntervalCronInFallBackOverlap_FiresInBothRepeatedHours()
    {
        var schedule = Cron("*/30 * * * *", "Europe/London");

        var fires = FiresBetween(schedule, Utc(2026, 10, 24, 23, 59), Utc(2026, 10, 25, 2, 1));

        Assert.Equal(
            [
                Utc(2026, 10, 25, 0, 0),  // 01:00 BST
                Utc(2026, 10, 25, 0, 30), // 01:30 BST
                Utc(2026, 10, 25, 1, 0),  // 01:00 GMT
                Utc(2026, 10, 25, 1, 30), // 01:30 GMT
                Utc(2026, 10, 25, 2, 0),  // 02:00 GMT
            ],
            fires);
    }

    private static List<DateTimeOffset> FiresBetween(FireSchedule schedule, DateTimeOffset from, DateTimeOffset to)
    {
        var fires = new List<DateTimeOffset>();
        var cursor = schedule.NextAfter(from);
        while (cursor is { } fire && fire < to)
        {
            fires.Add(fire);
            cursor = schedule.NextAfter(fire);
        }
        return fires;
    }

    // ----- interval -----

    [Fact]
    public void NextAfter_IntervalWithStartAt_StaysAnchoredWithoutDrift()
    {
        var startAt = Utc(2026, 1, 15, 12, 0, 7);
        var every = TimeSpan.FromSeconds(45);
        var schedule = FireSchedule.Create(ScheduleSpec.Interval(every, startAt), PlannedAt);

        var next = schedule.NextAfter(startAt + 3 * every + TimeSpan.FromMilliseconds(1));

        Assert.Equal(startAt + 4 * every, next);
    }

    [Fact]
    public void NextAfter_IntervalAtExactFireTime_ReturnsTheFollowingFire()
    {
        var startAt = Utc(2026, 1, 15, 12, 0);
        var every = TimeSpan.FromMinutes(5);
        var schedule = FireSchedule.Create(ScheduleSpec.Interval(every, startAt), PlannedAt);

        Assert.Equal(startAt + 3 * every, schedule.NextAfter(startAt + 2 * every));
    }

    [Fact]
    public void NextAfter_IntervalBeforeStartAt_ReturnsStartAt()
    {
        var startAt = Utc(2026, 1, 15, 12, 0);
        var schedule = FireSchedule.Create(ScheduleSpec.Interval(TimeSpan.FromMinutes(5), startAt), PlannedAt);

        Assert.Equal(startAt, schedule.NextAfter(PlannedAt));
        Assert.Equal(startAt, schedule.First(PlannedAt));
    }

    [Fact]
    public void NextAfter_ManyIntervalSteps_LandsExactlyOnAnchorGrid()
    {
        var startAt = Utc(2026, 1, 1, 0, 0);
        var every = TimeSpan.FromMilliseconds(333);
        var schedule = FireSchedule.Create(ScheduleSpec.Interval(every, startAt), PlannedAt);

        var cursor = startAt;
        for (var i = 0; i < 1000; i++)
        {
            cursor = schedule.NextAfter(cursor)!.Value;
        }

        Assert.Equal(startAt + 1000 * every, cursor);
    }

    [Fact]
    public void First_IntervalWithoutStartAt_IsPlannedAtPlusEvery()
    {
        var every = TimeSpan.FromMinutes(10);
        var schedule = FireSchedule.Create(ScheduleSpec.Interval(every), PlannedAt);

        Assert.Equal(PlannedAt + every, schedule.First(PlannedAt));
        Assert.Equal(PlannedAt + 2 * every, schedule.NextAfter(PlannedAt + every));
    }

    [Fact]
    public void First_IntervalWithStartAtInThePast_IsFirstGridPointNotBeforePlannedAt()
    {
        var startAt = Utc(2026, 1, 15, 9, 0);
        var every = TimeSpan.FromMinutes(7);
        var schedule = FireSchedule.Create(ScheduleSpec.Interval(every, startAt), PlannedAt);

        // 10:00 is 60 minutes after 09:00; the next multiple of 7 minutes is 63 (10:03).
        Assert.Equal(Utc(2026, 1, 15, 10, 3), schedule.First(PlannedAt));
    }

    [Fact]
    public void First_IntervalWithStartAtInThePastOnTheGrid_IsPlannedAtItself()
    {
        var startAt = Utc(2026, 1, 15, 9, 0);
        var schedule = FireSchedule.Create(ScheduleSpec.Interval(TimeSpan.FromMinutes(30), startAt), PlannedAt);

        Assert.Equal(PlannedAt, schedule.First(PlannedAt));
    }

    // ----- once and manual -----

    [Fact]
    public void First_OnceInThePast_ReturnsItsInstant()
    {
        var at = Utc(2020, 5, 1, 8, 0);
        var schedule = FireSchedule.Create(ScheduleSpec.OnceAt(at), PlannedAt);

        Assert.Equal(at, schedule.First(PlannedAt));
    }

    [Fact]
    public void First_OnceInTheFuture_ReturnsItsInstant()
    {
        var at = Utc(2026, 2, 1, 8, 0);
        var schedule = FireSchedule.Create(ScheduleSpec.OnceAt(at), PlannedAt);

        Assert.Equal(at, schedule.First(PlannedAt));
        Assert.Equal(at, schedule.NextAfter(PlannedAt));
    }

    [Fact]
    public void NextAfter_OnceAtItsInstant_ReturnsNull()
    {
        var at = Utc(2026, 2, 1, 8, 0);
        var schedule = FireSchedule.Create(ScheduleSpec.OnceAt(at), PlannedAt);

        Assert.Null(schedule.NextAfter(at));
        Assert.Null(schedule.NextAfter(at.AddDays(1)));
    }

    [Fact]
    public void FirstAndNextAfter_Manual_ReturnNull()
    {
        var schedule = FireSchedule.Create(ScheduleSpec.Manual(), PlannedAt);

        Assert.Equal(ScheduleKind.Manual, schedule.Kind);
        Assert.Null(schedule.First(PlannedAt));
        Assert.Null(schedule.NextAfter(PlannedAt));
    }

    // ----- invalid schedules -----

    [Theory]
    [InlineData("not a cron")]
    [InlineData("61 * * * *")]
    [InlineData("* 25 * * *")]
    [InlineData("* * * 13 *")]
    [InlineData("@sometimes")]
    public void TryCreate_BadCronExpression_NamesScheduleExpression(string expression)
    {
        var errors = Errors(ScheduleSpec.Cron(expression));

        Assert.Equal("schedule.expression", Assert.Single(errors).Field);
    }

    [Theory]
    [InlineData("* * * *")]
    [InlineData("0 0 0 * * * 2026")]
    [InlineData("*")]
    public void TryCreate_CronWithWrongFieldCount_NamesScheduleExpression(string expression)
    {
        var errors = Errors(ScheduleSpec.Cron(expression));

        Assert.Equal("schedule.expression", Assert.Single(errors).Field);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void TryCreate_CronWithoutExpression_NamesScheduleExpression(string? expression)
    {
        var errors = Errors(new ScheduleSpec { Kind = ScheduleKind.Cron, Expression = expression });

        Assert.Equal("schedule.expression", Assert.Single(errors).Field);
    }

    [Fact]
    public void TryCreate_UnknownTimeZone_NamesScheduleTimeZone()
    {
        var errors = Errors(ScheduleSpec.Cron("0 9 * * *", "Mars/Olympus_Mons"));

        Assert.Equal("schedule.timeZone", Assert.Single(errors).Field);
    }

    [Fact]
    public void TryCreate_UnknownTimeZoneAndBadExpression_NamesBothFields()
    {
        var errors = Errors(ScheduleSpec.Cron("nope", "Mars/Olympus_Mons"));

        Assert.Equal(["schedule.timeZone", "schedule.expression"], errors.Select(e => e.Field));
    }

    [Fact]
    public void TryCreate_CronThatNeverFires_NamesScheduleExpression()
    {
        var errors = Errors(ScheduleSpec.Cron("0 0 30 2 *"));

        var error = Assert.Single(errors);
        Assert.Equal("schedule.expression", error.Field);
        Assert.Contains("never fires", error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1000)]
    public void TryCreate_ZeroOrNegativeInterval_NamesScheduleEvery(int milliseconds)
    {
        var errors = Errors(ScheduleSpec.Interval(TimeSpan.FromMilliseconds(milliseconds)));

        var error = Assert.Single(errors);
        Assert.Equal("schedule.every", error.Field);
        Assert.Contains("positive", error.Message);
    }

    [Fact]
    public void TryCreate_IntervalBelowMinimum_NamesScheduleEvery()
    {
        var errors = Errors(ScheduleSpec.Interval(TimeSpan.FromMilliseconds(99)));

        Assert.Equal("schedule.every", Assert.Single(errors).Field);
    }

    [Fact]
    public void Create_IntervalAtMinimum_IsAccepted()
    {
        var schedule = FireSchedule.Create(ScheduleSpec.Interval(FireSchedule.MinimumInterval), PlannedAt);

        Assert.Equal(ScheduleKind.Interval, schedule.Kind);
    }

    [Fact]
    public void TryCreate_IntervalWithoutEvery_NamesScheduleEvery()
    {
        var errors = Errors(new ScheduleSpec { Kind = ScheduleKind.Interval });

        Assert.Equal("schedule.every", Assert.Single(errors).Field);
    }

    [Fact]
    public void TryCreate_OnceWithoutAt_NamesScheduleAt()
    {
        var errors = Errors(new ScheduleSpec { Kind = ScheduleKind.Once });

        Assert.Equal("schedule.at", Assert.Single(errors).Field);
    }

    [Fact]
    public void TryCreate_MissingKind_NamesScheduleKind()
    {
        var errors = Errors(new ScheduleSpec { Expression = "* * * * *" });

        Assert.Equal("schedule.kind", Assert.Single(errors).Field);
    }

    [Fact]
    public void TryCreate_UndefinedKind_NamesScheduleKind()
    {
        var errors = Errors(new ScheduleSpec { Kind = (ScheduleKind)42 });

        Assert.Equal("schedule.kind", Assert.Single(errors).Field);
    }

    [Fact]
    public void Create_InvalidSpec_ThrowsArgumentExceptionNamingTheField()
    {
        var ex = Assert.Throws<ArgumentException>(() => FireSchedule.Create(ScheduleSpec.Cron("0 9 * * *", "Nowhere/Land"), PlannedAt));

        Assert.Contains("schedule.timeZone", ex.Message);
    }
}
