namespace JobScheduler.Core.Jobs;

/// <summary>
/// One wake-up of a scheduled job: which due instants fire (misfire policy), what the concurrency policy makes of each,
/// and the job's state afterwards (<c>nextFireAt</c>, <c>lastFireAt</c>, <c>skippedFires</c>, completed or active).
/// The grain does the I/O in between: it asks the executions for their real state before each fire (an execution
/// started by the previous instant of the same round may already run), starts and cancels them, and writes the result.
/// </summary>
public sealed class JobFireRound
{
    private readonly JobInfo _job;
    private readonly FireSchedule _schedule;
    private readonly FirePlan _plan;
    private long _skippedByConcurrency;

    private JobFireRound(JobInfo job, FireSchedule schedule, FirePlan plan)
    {
        _job = job;
        _schedule = schedule;
        _plan = plan;
    }

    /// <summary>The instants to fire, oldest first.</summary>
    public IReadOnlyList<DateTimeOffset> Instants => _plan.Fire;

    /// <summary>Due instants the misfire policy skips.</summary>
    public long MisfireSkipped => _plan.Skipped;

    /// <summary>Whether the concurrency policy needs to know what runs (anything but <c>allow</c>).</summary>
    public bool NeedsRunning => _job.Concurrency != ConcurrencyPolicy.Allow;

    /// <summary>
    /// Plans the wake-up of an active job at <paramref name="now"/>. Null when there is nothing to fire and the next fire
    /// time stays as it is (the grain only re-arms its timer).
    /// </summary>
    public static JobFireRound? Plan(JobInfo job, FireSchedule schedule, DateTimeOffset now, FireOptions options)
    {
        var plan = MisfirePlanner.Plan(schedule, job.NextFireAt, now, options.MisfireThreshold, job.Misfire, options.MaxCatchUpFires);
        return plan.Fire.Count == 0 && plan.NextFireAt == job.NextFireAt ? null : new JobFireRound(job, schedule, plan);
    }

    /// <summary>
    /// Applies the concurrency policy to the next fire, given how many of the job's executions really run now.
    /// A skipped fire is counted in <see cref="Finish"/>.
    /// </summary>
    public FireDecision Decide(int running)
    {
        if (running == 0 || _job.Concurrency == ConcurrencyPolicy.Allow)
        {
            return FireDecision.Start;
        }
        if (_job.Concurrency == ConcurrencyPolicy.Forbid)
        {
            _skippedByConcurrency++;
            return FireDecision.Skip;
        }
        return FireDecision.CancelRunningThenStart;
    }

    /// <summary>The job after the round: the next fire, the last fired instant, the skipped count, and completed once a <c>once</c> job has no next fire.</summary>
    public JobInfo Finish() => _job with
    {
        NextFireAt = _plan.NextFireAt,
        LastFireAt = _plan.Fire.Count > 0 ? _plan.Fire[^1] : _job.LastFireAt,
        SkippedFires = _job.SkippedFires + _plan.Skipped + _skippedByConcurrency,
        State = _plan.NextFireAt is null && _schedule.Kind == ScheduleKind.Once ? JobState.Completed : JobState.Active,
    };
}
