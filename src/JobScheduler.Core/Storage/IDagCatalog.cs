namespace JobScheduler.Core.Storage;

/// <summary>
/// Queries over the stored DAGs and their runs, and run retention; a store implements it over the same rows its grain
/// storage writes (one per DAG, one per run), as <see cref="IJobCatalog"/> does for jobs.
/// </summary>
public interface IDagCatalog
{
    /// <summary>DAGs ordered by id, keyset-paged (cursor: <see cref="CatalogCursor.ForJob"/> of the last id).</summary>
    Task<Page<DagInfo>> QueryDagsAsync(DagQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// A DAG's runs, latest scheduled first, keyset-paged on (scheduledAt, id) like execution lists, filtered by state
    /// and scheduled range.
    /// </summary>
    Task<Page<DagRunInfo>> QueryRunsAsync(string dagId, DagRunQuery query, CancellationToken cancellationToken = default);

    /// <summary>Runs not finished (state running), oldest first: the recovery sweep re-activates them.</summary>
    Task<IReadOnlyList<string>> FindUnfinishedRunsAsync(int limit, CancellationToken cancellationToken = default);

    /// <summary>Active DAGs whose next fire is at or before <paramref name="before"/> (and after <paramref name="dueAfter"/>), by id after <paramref name="afterId"/>.</summary>
    Task<IReadOnlyList<string>> FindDagsDueAsync(
        DateTimeOffset before, int limit, string? afterId = null, DateTimeOffset? dueAfter = null, CancellationToken cancellationToken = default);

    /// <summary>Retention by age: deletes up to <paramref name="limit"/> runs that finished before <paramref name="before"/>; returns how many.</summary>
    Task<int> DeleteRunsFinishedBeforeAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken = default);
}
