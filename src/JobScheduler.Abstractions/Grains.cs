using Orleans.Concurrency;

namespace JobScheduler;

/// <summary>One job, keyed by its id. The REST API and the SDK go through it for everything about that job.</summary>
[Alias("JobScheduler.IJobGrain")]
public interface IJobGrain : IGrainWithStringKey
{
    /// <summary>Creates the job, or replaces its definition (re-planning the next fire) when <paramref name="createOnly"/> is false.</summary>
    [Alias("Put")]
    Task<JobWriteResult> PutAsync(JobSpec spec, string owner, bool createOnly);

    [Alias("Get")]
    Task<JobInfo?> GetAsync();

    /// <summary>Deletes the job and stops its schedule; running executions finish. Returns false if there was no job.</summary>
    [Alias("Delete")]
    Task<bool> DeleteAsync();

    [Alias("Pause")]
    Task<JobInfo?> PauseAsync();

    [Alias("Resume")]
    Task<JobInfo?> ResumeAsync();

    /// <summary>
    /// Runs the job now, whatever its schedule or state (paused jobs too), optionally with overrides. A trigger that
    /// repeats an <paramref name="idempotencyKey"/> seen in the last 24 hours (the newest 100 per job) creates nothing
    /// and returns the execution the first one created.
    /// </summary>
    [Alias("Trigger")]
    Task<JobWriteResult> TriggerAsync(TriggerOptions? options, string? idempotencyKey = null);

    /// <summary>The job's executions, latest first.</summary>
    [Alias("ListExecutions")]
    Task<Page<ExecutionInfo>?> ListExecutionsAsync(ExecutionQuery query);

    /// <summary>
    /// Says the job is due soon (the cluster's due-jobs scanner calls it): activating the job arms its precise timer.
    /// Nothing else happens; an active job ignores it.
    /// </summary>
    [OneWay, Alias("Wake")]
    Task WakeAsync();

    /// <summary>Called by the job's own precise timer: fires whatever is due.</summary>
    [Alias("FireDue")]
    Task FireDueAsync();

    /// <summary>An execution of this job reports a state change.</summary>
    [OneWay, Alias("ExecutionChanged")]
    Task ExecutionChangedAsync(string executionId, ExecutionState state);

    /// <summary>
    /// A DAG step waits (<c>waitFor.job</c>) for a successful execution of this job scheduled at or after
    /// <paramref name="since"/>: returns such an execution's id if one exists, else remembers the waiter until
    /// <paramref name="until"/> and tells it (<see cref="IDagRunGrain.WaitSatisfiedAsync"/>) when one succeeds.
    /// </summary>
    [Alias("AwaitSuccess")]
    Task<WaitAnswer> AwaitSuccessAsync(string runId, string stepId, DateTimeOffset since, DateTimeOffset until);
}

/// <summary>
/// Creates or replaces many jobs in one call; a stateless worker on every silo, key 0. Each item goes to its
/// <see cref="IJobGrain"/> (at most <see cref="JobBatch.MaxInFlight"/> at a time) and is validated on its own: an
/// invalid item fails alone and the others are stored. A batch that is malformed as a whole (see
/// <see cref="JobBatch.Validate"/>) is refused and nothing of it is written.
/// </summary>
[Alias("JobScheduler.IJobBatchGrain")]
public interface IJobBatchGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// An item with an id creates or replaces that job (like <c>PUT</c>); one without creates a job with a generated
    /// id (like <c>POST</c>). Results are in input order.
    /// </summary>
    [Alias("PutMany")]
    Task<JobBatchWriteResult> PutManyAsync(JobBatchItem[] items, string owner);
}

/// <summary>One execution (one fire of a job), keyed by its deterministic id.</summary>
[Alias("JobScheduler.IExecutionGrain")]
public interface IExecutionGrain : IGrainWithStringKey
{
    /// <summary>Creates and starts the execution; a second call for the same id returns the existing one unchanged.</summary>
    [Alias("Start")]
    Task<ExecutionInfo> StartAsync(ExecutionRequest request);

    [Alias("Get")]
    Task<ExecutionInfo?> GetAsync();

    /// <summary>Stops the running attempt (killing its process tree) and prevents further retries.</summary>
    [Alias("Cancel")]
    Task<ExecutionInfo?> CancelAsync();

    /// <summary>Waits up to <paramref name="maxWait"/> for the execution to exist and finish; returns its state then (null if it never existed).</summary>
    [AlwaysInterleave, Alias("Wait")]
    Task<ExecutionInfo?> WaitAsync(TimeSpan maxWait);

    /// <summary>Drops the execution's history (retention). Refused while it is still running.</summary>
    [Alias("Forget")]
    Task<bool> ForgetAsync();
}

/// <summary>Queries over all jobs (the stored rows); a stateless worker on every silo.</summary>
[Alias("JobScheduler.IJobQueryGrain")]
public interface IJobQueryGrain : IGrainWithIntegerKey
{
    /// <summary>Jobs by owner, state and tag, ordered by id, keyset-paged.</summary>
    [Alias("QueryJobs"), ReadOnly]
    Task<Page<JobInfo>> QueryJobsAsync(JobQuery query);

    /// <summary>Counts of jobs and executions by state.</summary>
    [Alias("GetStats"), ReadOnly]
    Task<SchedulerStats> GetStatsAsync();
}

/// <summary>Everything an execution needs to run, snapshotted from the job at fire time.</summary>
[GenerateSerializer, Immutable, Alias("JobScheduler.ExecutionRequest")]
public sealed record ExecutionRequest
{
    [Id(0)] public string JobId { get; init; } = "";
    [Id(1)] public string Owner { get; init; } = "";
    [Id(2)] public DateTimeOffset ScheduledAt { get; init; }
    [Id(3)] public ActionSpec Action { get; init; } = new();
    [Id(4)] public RetryPolicy? Retry { get; init; }
    [Id(5)] public TimeSpan? Timeout { get; init; }
    [Id(6)] public string Trigger { get; init; } = "schedule";
    [Id(7)] public int Priority { get; init; }
    [Id(8)] public ResourceRequest? Resources { get; init; }

    /// <summary>The DAG run this execution is a step of (it reports its end there rather than to a job).</summary>
    [Id(9)] public string? DagRunId { get; init; }
    [Id(10)] public string? StepId { get; init; }

    /// <summary>A DAG step's upstream outputs and run parameters.</summary>
    [Id(11)] public StepInputs? Inputs { get; init; }

    /// <summary>
    /// The W3C <c>traceparent</c> of the span that started this execution (its fire, trigger or DAG step), so that its
    /// attempts, whenever and wherever they run, join that trace. Null when tracing was off.
    /// </summary>
    [Id(12)] public string? TraceParent { get; init; }
}

/// <summary>How execution ids are formed from a job id and a scheduled instant.</summary>
public static class ExecutionId
{
    public static string For(string jobId, DateTimeOffset scheduledAt) =>
        $"{jobId}@{scheduledAt.UtcDateTime:yyyyMMdd'T'HHmmss'.'fffffff'Z'}";

    /// <summary>The scheduled instant an execution (or DAG run) id carries, if it has one.</summary>
    public static DateTimeOffset? ScheduledAtOf(string executionId)
    {
        var at = executionId.LastIndexOf('@');
        var text = at < 0 ? "" : executionId[(at + 1)..];
        var end = text.IndexOf('Z');
        return end > 0 && DateTimeOffset.TryParseExact(text[..(end + 1)], "yyyyMMdd'T'HHmmss'.'fffffff'Z'",
            System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var instant)
            ? instant
            : null;
    }

    /// <summary>The job id part of an execution id.</summary>
    public static string JobIdOf(string executionId)
    {
        var at = executionId.LastIndexOf('@');
        return at < 0 ? executionId : executionId[..at];
    }
}
