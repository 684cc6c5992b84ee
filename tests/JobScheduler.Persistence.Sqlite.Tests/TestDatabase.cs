using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Serialization;
using Orleans.Storage;

namespace JobScheduler.Persistence.Sqlite.Tests;

/// <summary>A SQLite database in a fresh temp directory, opened as the server opens it; deleted afterwards.</summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private static readonly Lazy<IGrainStorageSerializer> LazySerializer = new(() =>
        new OrleansGrainStorageSerializer(new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>()));

    public TestDatabase()
    {
        Directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"jobscheduler-sqlite-{Guid.NewGuid():n}");
        DatabasePath = System.IO.Path.Combine(Directory, "db.sqlite");
        Database = new SqliteDatabase(SqliteFileLock.Acquire(DatabasePath), NullLogger<SqliteDatabase>.Instance);
    }

    public string Directory { get; }

    public string DatabasePath { get; }

    public SqliteDatabase Database { get; }

    public static IGrainStorageSerializer Serializer => LazySerializer.Value;

    public SqliteGrainStorage Storage(string serviceId = "test") => new(serviceId, Database, Serializer);

    public async ValueTask DisposeAsync()
    {
        await Database.DisposeAsync();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
