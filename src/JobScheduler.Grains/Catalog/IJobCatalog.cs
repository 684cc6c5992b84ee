namespace JobScheduler.Grains.Catalog;

/// <summary>
/// The query model: a copy of every job and execution (without output) kept for lists, filters and counts.
/// Grains write it after their own state, with a revision that only grows, so a write that arrives late or twice
/// never rolls a row back; a crash between the grain's write and this one is repaired by the grain's next write
/// or its next activation.
/// </summary>
public interface IJobCatalog
{
    /// <summary>Whether the catalog survives a restart (and so whether recovery sweeps have anything to find).</summary>
    bool IsDurable { get; }

    Task SaveJobAsync(JobInfo job, long revision, CancellationToken cancellationToken = default);

    /// <summary>Removes the job and every execution row of it.</summary>
    Task DeleteJobAsync(string jobId, CancellationToken cancellationToken = default);

    Task SaveExecutionAsync(ExecutionInfo execution, long revision, CancellationToken cancellationToken = default);

    Task DeleteExecutionAsync(string executionId, CancellationToken cancellationToken = default);

    /// <summary>Jobs ordered by id, keyset-paged.</summary>
    Task<Page<JobInfo>> QueryJobsAsync(JobQuery query, CancellationToken cancellationToken = default);

    /// <summary>A job's executions, latest scheduled first, keyset-paged.</summary>
    Task<Page<ExecutionInfo>> QueryExecutionsAsync(string jobId, ExecutionQuery query, CancellationToken cancellationToken = default);

    Task<SchedulerStats> GetStatsAsync(CancellationToken cancellationToken = default);

    /// <summary>Executions not yet finished (pending, running, retrying), oldest first.</summary>
    Task<IReadOnlyList<string>> FindUnfinishedExecutionsAsync(int limit, CancellationToken cancellationToken = default);

    /// <summary>Active jobs whose next fire is at or before <paramref name="before"/>.</summary>
    Task<IReadOnlyList<string>> FindJobsDueAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken = default);

    /// <summary>Finished executions that finished before <paramref name="before"/> (for retention by age).</summary>
    Task<IReadOnlyList<string>> FindExecutionsFinishedBeforeAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Retention by count: ids of the job's finished executions that come after its newest <paramref name="keep"/>
    /// executions (latest first, as listed), oldest first, at most <paramref name="limit"/>.
    /// </summary>
    Task<IReadOnlyList<string>> FindExecutionsBeyondAsync(string jobId, int keep, int limit, CancellationToken cancellationToken = default);
}
