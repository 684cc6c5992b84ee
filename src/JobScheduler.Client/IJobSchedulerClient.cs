namespace JobScheduler.Client;

/// <summary>
/// Typed access to a JobScheduler cluster. Every call is async and honours its cancellation token (the call
/// stops waiting; work already accepted by the cluster goes on). Invalid input throws
/// <see cref="JobValidationException"/> naming each bad field; a missing job, execution, DAG or DAG run throws
/// <see cref="JobNotFoundException"/> from the calls that act on it, and gives null from the Get calls.
/// </summary>
public interface IJobSchedulerClient
{
    /// <summary>Creates the job with id <paramref name="id"/>, or replaces its definition (re-planning its next fire).</summary>
    Task<JobInfo> ScheduleAsync(string id, JobSpec spec, CancellationToken cancellationToken = default);

    /// <summary>Creates a job with a generated id.</summary>
    Task<JobInfo> ScheduleAsync(JobSpec spec, CancellationToken cancellationToken = default);

    /// <summary>
    /// Creates or replaces many jobs in few calls: an item with an id creates or replaces that job (as
    /// <see cref="ScheduleAsync(string, JobSpec, CancellationToken)"/>), one without creates a job with a generated id.
    /// Each item is validated on its own: an invalid one is reported in its result and the others are stored. Results
    /// are in input order. Lists over <see cref="JobBatch.MaxItems"/> go in chunks of that size, one after another.
    /// A list with a null item or an id given twice throws <see cref="JobValidationException"/> and stores nothing.
    /// </summary>
    Task<IReadOnlyList<JobBatchResult>> ScheduleManyAsync(IReadOnlyList<JobBatchItem> items, CancellationToken cancellationToken = default);

    Task<JobInfo?> GetJobAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Jobs ordered by id; pass <see cref="Page{T}.Next"/> back as <see cref="JobQuery.Cursor"/> for the next page.</summary>
    Task<Page<JobInfo>> ListJobsAsync(JobQuery? query = null, CancellationToken cancellationToken = default);

    Task<JobInfo> PauseAsync(string id, CancellationToken cancellationToken = default);

    Task<JobInfo> ResumeAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Runs the job now; returns the new execution's id. With an <paramref name="idempotencyKey"/> (1–200 characters),
    /// a call repeated with the same key within 24 hours (say, after a timeout) runs nothing new and returns the
    /// execution the first call created.
    /// </summary>
    Task<string> TriggerAsync(string id, TriggerOptions? overrides = null, string? idempotencyKey = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes the job; false if it did not exist.</summary>
    Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>A job's executions, latest first (without output; <see cref="GetExecutionAsync"/> has it).</summary>
    Task<Page<ExecutionInfo>> ListExecutionsAsync(string jobId, ExecutionQuery? query = null, CancellationToken cancellationToken = default);

    Task<ExecutionInfo?> GetExecutionAsync(string executionId, CancellationToken cancellationToken = default);

    /// <summary>Stops the running attempt and prevents retries; returns the execution as it stands after.</summary>
    Task<ExecutionInfo> CancelExecutionAsync(string executionId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Waits until the execution has finished (succeeded, failed or cancelled) and returns it. An execution that is
    /// about to be created (a fire in flight) is waited for; one that still does not exist after
    /// <see cref="JobSchedulerClientOptions.WaitPollInterval"/> throws <see cref="JobNotFoundException"/>.
    /// </summary>
    Task<ExecutionInfo> WaitForCompletionAsync(string executionId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Creates the DAG with id <paramref name="id"/>, or replaces its definition (runs already started keep theirs). A
    /// cycle, an unknown <c>dependsOn</c>, a duplicate step id or a bad step throws <see cref="JobValidationException"/>
    /// naming the field (e.g. <c>steps[2].dependsOn[0]</c>) and stores nothing.
    /// </summary>
    Task<DagInfo> ScheduleDagAsync(string id, DagSpec spec, CancellationToken cancellationToken = default);

    Task<DagInfo?> GetDagAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>DAGs ordered by id; pass <see cref="Page{T}.Next"/> back as <see cref="DagQuery.Cursor"/> for the next page.</summary>
    Task<Page<DagInfo>> ListDagsAsync(DagQuery? query = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes the DAG and its finished runs (running runs finish first); false if it did not exist.</summary>
    Task<bool> DeleteDagAsync(string id, CancellationToken cancellationToken = default);

    Task<DagInfo> PauseDagAsync(string id, CancellationToken cancellationToken = default);

    Task<DagInfo> ResumeDagAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Starts a run of the DAG now (a paused one too) and returns it as it started. With an
    /// <paramref name="idempotencyKey"/>, a call repeated with the same key (say, after a timeout) starts nothing new and
    /// returns the run the first call started.
    /// </summary>
    Task<DagRunInfo> TriggerDagAsync(string id, DagTriggerOptions? options = null, string? idempotencyKey = null, CancellationToken cancellationToken = default);

    Task<DagRunInfo?> GetDagRunAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>A DAG's runs, latest scheduled first.</summary>
    Task<Page<DagRunInfo>> ListDagRunsAsync(string dagId, DagRunQuery? query = null, CancellationToken cancellationToken = default);

    /// <summary>Cancels the run: its running steps (killing their process trees) and the steps not started all end <c>cancelled</c>; returns the run after.</summary>
    Task<DagRunInfo> CancelDagRunAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Re-runs a failed or cancelled run from its failed steps (and the steps skipped because of them); succeeded steps
    /// keep their executions and outputs. A run that is still running or succeeded throws
    /// <see cref="JobValidationException"/> with the reason.
    /// </summary>
    Task<DagRunInfo> RetryDagRunAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Waits until the run has finished (succeeded, failed or cancelled) and returns it; throws
    /// <see cref="TimeoutException"/> if it is still running after <paramref name="timeout"/>, and
    /// <see cref="JobNotFoundException"/> if there is no such run.
    /// </summary>
    Task<DagRunInfo> WaitForDagRunAsync(string runId, TimeSpan timeout, CancellationToken cancellationToken = default);
}

/// <summary>
/// One item of <see cref="IJobSchedulerClient.ScheduleManyAsync"/>: the job's id (null when it was to be generated and
/// nothing was stored), the stored job, or the errors (fields named within the item, e.g. <c>schedule.expression</c>).
/// </summary>
public sealed record JobBatchResult(string? Id, JobInfo? Job, bool Created, IReadOnlyList<FieldError> Errors)
{
    public bool IsStored => Errors.Count == 0;
}

/// <summary>A job or DAG definition, a trigger or a run's retry was rejected; <see cref="Errors"/> names each bad field.</summary>
public sealed class JobValidationException : Exception
{
    public JobValidationException(IReadOnlyList<FieldError> errors)
        : this("The job is not valid", errors)
    {
    }

    /// <param name="summary">What was refused, e.g. "The DAG is not valid"; the errors follow it in <see cref="Exception.Message"/>.</param>
    /// <param name="errors">Each bad field and why.</param>
    public JobValidationException(string summary, IReadOnlyList<FieldError> errors)
        : base(summary + ": " + string.Join("; ", errors.Select(e => $"{e.Field}: {e.Message}"))) => Errors = errors;

    public IReadOnlyList<FieldError> Errors { get; }
}

/// <summary>No job, execution, DAG or DAG run has the id given.</summary>
public sealed class JobNotFoundException(string what, string id) : Exception($"There is no {what} with id '{id}'.")
{
    public string Id { get; } = id;
}
