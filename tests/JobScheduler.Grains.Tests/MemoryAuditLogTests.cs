using JobScheduler.Core.Audit;
using JobScheduler.Grains.Storage;
using JobScheduler.Testing;

namespace JobScheduler.Grains.Tests;

/// <summary>The audit trail of an in-memory silo (<see cref="MemoryAuditLog"/>).</summary>
public sealed class MemoryAuditLogTests : AuditLogContract
{
    private readonly MemoryAuditLog _log = new();

    protected override IAuditLog Log => _log;
}
