namespace JobScheduler.Core.Audit;

/// <summary>A page of the audit trail, newest first; <see cref="Next"/> is null on the last page.</summary>
public sealed record AuditPage(IReadOnlyList<AuditEntry> Items, AuditPosition? Next);
