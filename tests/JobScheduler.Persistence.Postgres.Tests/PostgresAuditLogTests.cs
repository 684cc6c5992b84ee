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

    [Fact]
    public async Task AnEntry_IsRecorded_AfterTheServerEndedThePooledConnection()
    {
        var log = Log;
        var at = new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
        await log.AppendAsync(new AuditEntry("a1", at, "ann", "job.create", "job/one", 201));
        Assert.True(await _database.EndOtherSessionsAsync() > 0, "the pool held no connection to end");

        await log.AppendAsync(new AuditEntry("a2", at.AddSeconds(1), "ann", "job.trigger", "job/one", 202));

        var page = await log.QueryAsync(new AuditQuery());
        Assert.Equal(["a2", "a1"], page.Items.Select(e => e.Id));
    }
}
