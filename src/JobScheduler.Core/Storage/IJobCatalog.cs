namespace JobScheduler.Core.Storage;

/// <summary>
/// Queries over the stored jobs and executions, and history retention. A store implements it over the same rows its
/// grain storage writes (one row per job, one per execution), so what a list shows is what the grains wrote: there
/// is no second copy to keep in step.
/// </summary>
public interface IJobCatalog
{
    /// <summary>Whether the store survives a restart (and so whether recovery sweeps have anything to find).</summary>
    bool IsDurable { get; }

    /// <summary>Jobs ordered by id, keyset-paged.</summary>
    Task<Page<JobInfo>> QueryJobsAsync(JobQuery query, CancellationToken cancellationToken = default);

    /// <summary>A job's executions, latest scheduled first, keyset-paged, without output.</summary>
    Task<Page<ExecutionInfo>> QueryExecutionsAsync(string jobId, ExecutionQuery query, CancellationToken cancellationToken = default);

    Task<SchedulerStats> GetStatsAsync(CancellationToken cancellationToken = default);

    /// <summary>Executions not yet finished (pending, running, retrying), oldest first.</summary>
    Task<IReadOnlyList<string>> FindUnfinishedExecutionsAsync(int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Active jobs whose next fire is at or before <paramref name="before"/> (and after <paramref name="dueAfter"/> when
    /// given), by id, after <paramref name="afterId"/> (keyset paging), at most <paramref name="limit"/>.
    /// </summary>
    Task<IReadOnlyList<string>> FindJobsDueAsync(
        DateTimeOffset before, int limit, string? afterId = null, DateTimeOffset? dueAfter = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Retention by count: ids of the job's finished executions that come after its newest <paramref name="keep"/>
    /// executions (latest first, as listed), oldest first, at most <paramref name="limit"/>.
    /// </summary>
    Task<IReadOnlyList<string>> FindExecutionsBeyondAsync(string jobId, int keep, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes those of <paramref name="executionIds"/> that are finished (with their output), in one write; an
    /// unfinished one is left alone. Returns how many were deleted. A finished execution is never written again, so
    /// its row can go without asking its grain.
    /// </summary>
    Task<int> DeleteFinishedExecutionsAsync(IReadOnlyCollection<string> executionIds, CancellationToken cancellationToken = default);

    /// <summary>Retention by age: deletes up to <paramref name="limit"/> executions that finished before <paramref name="before"/>; returns how many.</summary>
    Task<int> DeleteExecutionsFinishedBeforeAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken = default);
}
