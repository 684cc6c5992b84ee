using JobScheduler.Core.Auth;
using JobScheduler.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace JobScheduler.Persistence.Postgres.Tests;

/// <summary>Users, API keys and the signing key in PostgreSQL (<see cref="PostgresUserStore"/>), on a fresh migrated database.</summary>
public sealed class PostgresUserStoreTests : UserStoreContract, IAsyncLifetime
{
    private readonly PostgresDatabase _database = new();
    private NpgsqlDataSource _dataSource = null!;

    protected override IUserStore Store => new PostgresUserStore(_dataSource);

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
