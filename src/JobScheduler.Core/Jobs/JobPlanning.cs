namespace JobScheduler.Core.Jobs;

/// <summary>
/// How a job's plan changes when it is written, paused or resumed. Fire times that pass while a job is paused are not
/// replayed: a resumed job plans from now, and a <c>once</c> job that already fired stays completed.
/// </summary>
public static class JobPlanning
{
    /// <summary>The state and first fire of a job written at <paramref name="now"/>: a paused job stays paused (and has no next fire).</summary>
    public static (JobState State, DateTimeOffset? NextFireAt) OnPut(JobInfo? existing, FireSchedule schedule, DateTimeOffset now)
    {
        var state = existing?.State == JobState.Paused ? JobState.Paused : JobState.Active;
        return (state, state == JobState.Active ? schedule.First(now) : null);
    }

    /// <summary>The job paused at <paramref name="now"/>; null when it is not active (nothing changes).</summary>
    public static JobInfo? Pause(JobInfo job, DateTimeOffset now) =>
        job.State == JobState.Active ? job with { State = JobState.Paused, NextFireAt = null, UpdatedAt = now } : null;

    /// <summary>The job resumed at <paramref name="now"/>, planned from now; null when it is not paused (nothing changes).</summary>
    public static JobInfo? Resume(JobInfo job, FireSchedule schedule, DateTimeOffset now)
    {
        if (job.State != JobState.Paused)
        {
            return null;
        }
        var next = schedule.Kind == ScheduleKind.Once && job.LastFireAt is not null ? null : schedule.First(now);
        return job with
        {
            State = next is null && schedule.Kind == ScheduleKind.Once ? JobState.Completed : JobState.Active,
            NextFireAt = next,
            UpdatedAt = now,
        };
    }
}
