using JobScheduler.Core.Audit;

namespace JobScheduler.Grains.Storage;

/// <summary>The audit trail of an in-memory silo: it lives as long as the process, like everything else it stores.</summary>
public sealed class MemoryAuditLog : IAuditLog
{
    private readonly List<AuditEntry> _entries = [];
    private readonly Lock _lock = new();

    public Task AppendAsync(AuditEntry entry, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            _entries.Add(entry);
        }
        return Task.CompletedTask;
    }

    public Task AppendManyAsync(IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            _entries.AddRange(entries);
        }
        return Task.CompletedTask;
    }

    public Task<AuditPage> QueryAsync(AuditQuery query, CancellationToken cancellationToken = default)
    {
        var limit = query.ClampedLimit;
        lock (_lock)
        {
            var rows = _entries
                .Where(e => (query.Actor is null || e.Actor == query.Actor) && (query.Resource is null || e.Resource == query.Resource))
                .Where(e => query.After is null || query.After.Precedes(e))
                .OrderByDescending(e => e.At).ThenByDescending(e => e.Id, StringComparer.Ordinal)
                .Take(limit + 1)
                .ToList();
            return Task.FromResult(AuditPages.Of(rows, limit));
        }
    }
}
