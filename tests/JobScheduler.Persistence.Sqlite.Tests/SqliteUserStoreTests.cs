using JobScheduler.Core.Auth;
using JobScheduler.Testing;

namespace JobScheduler.Persistence.Sqlite.Tests;

/// <summary>Users, API keys and the signing key in the SQLite file (<see cref="SqliteUserStore"/>).</summary>
public sealed class SqliteUserStoreTests : UserStoreContract, IAsyncLifetime
{
    private readonly TestDatabase _db = new();

    protected override IUserStore Store => new SqliteUserStore(_db.Database);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _db.DisposeAsync();
}
