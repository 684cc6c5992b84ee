namespace JobScheduler.Core.Audit;

/// <summary>Where a page of the audit trail ended: the instant and id of its last (oldest) entry.</summary>
public sealed record AuditPosition(DateTimeOffset At, string Id)
{
    /// <summary>Whether <paramref name="entry"/> comes after this position in newest-first order.</summary>
    public bool Precedes(AuditEntry entry) =>
        entry.At < At || (entry.At == At && string.CompareOrdinal(entry.Id, Id) < 0);
}
