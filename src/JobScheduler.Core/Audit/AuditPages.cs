namespace JobScheduler.Core.Audit;

/// <summary>Builds a page from up to one more row than asked for, as every store reads them.</summary>
public static class AuditPages
{
    /// <summary>The first <paramref name="limit"/> rows, and a position to go on from when there was one more.</summary>
    public static AuditPage Of(IReadOnlyList<AuditEntry> rows, int limit) =>
        rows.Count > limit
            ? new([.. rows.Take(limit)], new AuditPosition(rows[limit - 1].At, rows[limit - 1].Id))
            : new(rows, null);
}
