namespace JobScheduler.Core.Audit;

/// <summary>
/// The audit trail: who created, changed, deleted, triggered or cancelled what (docs/security.md, "Audit trail"), kept
/// in the same database as the jobs (PostgreSQL, the SQLite file, or memory). Entries are only ever appended.
/// </summary>
public interface IAuditLog
{
    Task AppendAsync(AuditEntry entry, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends the entries of one request that changed many things at once (an SDK batch of jobs): all or none, and a
    /// store may write them in one statement rather than one commit each.
    /// </summary>
    Task AppendManyAsync(IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken = default);

    /// <summary>
    /// Entries matching the query, newest first (by <see cref="AuditEntry.At"/>, then <see cref="AuditEntry.Id"/>,
    /// both descending), at most <see cref="AuditQuery.Limit"/> clamped to 1–<see cref="AuditQuery.MaxLimit"/>.
    /// </summary>
    Task<AuditPage> QueryAsync(AuditQuery query, CancellationToken cancellationToken = default);
}
