using JobScheduler.Core.Audit;
using JobScheduler.Testing;

namespace JobScheduler.Persistence.Sqlite.Tests;

/// <summary>The audit trail in the SQLite file (<see cref="SqliteAuditLog"/>).</summary>
public sealed class SqliteAuditLogTests : AuditLogContract, IAsyncLifetime
{
    private readonly TestDatabase _db = new();

    protected override IAuditLog Log => new SqliteAuditLog(_db.Database);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _db.DisposeAsync();
}
