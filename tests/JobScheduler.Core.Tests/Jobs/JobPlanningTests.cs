using JobScheduler.Core.Jobs;

namespace JobScheduler.Core.Tests.Jobs;

public class JobPlanningTests
{
    private static readonly DateTimeOffset PlannedAt = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static DateTimeOffset At(int hour, int minute = 0) => new(2026, 1, 15, hour, minute, 0, TimeSpan.Zero);

    private static FireSchedule Hourly => FireSchedule.Create(ScheduleSpec.Cron("0 * * * *"), PlannedAt);

    private static JobInfo Job(JobState state, DateTimeOffset? nextFireAt = null, DateTimeOffset? lastFireAt = null) =>
        new() { Id = "job", State = state, NextFireAt = nextFireAt, LastFireAt = lastFireAt };

    [Fact]
    public void OnPut_NewJob_IsActiveFromNow()
    {
        var (state, next) = JobPlanning.OnPut(null, Hourly, At(10, 30));

        Assert.Equal(JobState.Active, state);
        Assert.Equal(At(11), next);
    }

    [Fact]
    public void OnPut_ReplacingAPausedJob_StaysPausedWithoutNextFire()
    {
        var (state, next) = JobPlanning.OnPut(Job(JobState.Paused), Hourly, At(10, 30));

        Assert.Equal(JobState.Paused, state);
        Assert.Null(next);
    }

    [Fact]
    public void Pause_ActiveJob_DropsItsNextFire()
    {
        var paused = JobPlanning.Pause(Job(JobState.Active, At(11)), At(10, 30))!;

        Assert.Equal(JobState.Paused, paused.State);
        Assert.Null(paused.NextFireAt);
        Assert.Equal(At(10, 30), paused.UpdatedAt);
    }

    [Fact]
    public void Pause_NotActive_ChangesNothing() =>
        Assert.Null(JobPlanning.Pause(Job(JobState.Completed), At(10)));

    [Fact]
    public void Resume_PausedJob_PlansFromNowWithoutReplayingMissedFires()
    {
        var resumed = JobPlanning.Resume(Job(JobState.Paused, lastFireAt: At(2)), Hourly, At(10, 30))!;

        Assert.Equal(JobState.Active, resumed.State);
        Assert.Equal(At(11), resumed.NextFireAt);
    }

    [Fact]
    public void Resume_NotPaused_ChangesNothing() =>
        Assert.Null(JobPlanning.Resume(Job(JobState.Active, At(11)), Hourly, At(10)));

    [Fact]
    public void Resume_OnceJobThatAlreadyFired_StaysCompleted()
    {
        var once = FireSchedule.Create(ScheduleSpec.OnceAt(At(9)), PlannedAt);

        var resumed = JobPlanning.Resume(Job(JobState.Paused, lastFireAt: At(9)), once, At(10))!;

        Assert.Equal(JobState.Completed, resumed.State);
        Assert.Null(resumed.NextFireAt);
    }

    [Fact]
    public void Resume_OnceJobNotFiredYet_FiresItsInstant()
    {
        var once = FireSchedule.Create(ScheduleSpec.OnceAt(At(9)), PlannedAt);

        var resumed = JobPlanning.Resume(Job(JobState.Paused), once, At(10))!;

        Assert.Equal(JobState.Active, resumed.State);
        Assert.Equal(At(9), resumed.NextFireAt);
    }
}
