using JobScheduler.Core.Audit;
using JobScheduler.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace JobScheduler.Persistence.Postgres.Tests;

/// <summary>The audit trail in PostgreSQL (<see cref="PostgresAuditLog"/>), on a fresh migrated database.</summary>
public sealed class PostgresAuditLogTests : AuditLogContract, IAsyncLifetime
{
    private readonly PostgresDatabase _database = new();
    private NpgsqlDataSource _dataSource = null!;

    protected override IAuditLog Log => new PostgresAuditLog(_dataSource);

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        _dataSource = NpgsqlDataSource.Create(_database.ConnectionString);
        await new PostgresSchema(_dataSource, NullLogger<PostgresSchema>.Instance).EnsureAsync(apply: true, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _dataSource.DisposeAsync();
        await _database.DisposeAsync();
    }
}
