using JobScheduler.Core.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using static JobScheduler.Persistence.Sqlite.Tests.DagRows;
using static JobScheduler.Persistence.Sqlite.Tests.Rows;

namespace JobScheduler.Persistence.Sqlite.Tests;

/// <summary>A file written by an earlier release is brought to the current schema when opened, and keeps its rows.</summary>
public sealed class SqliteSchemaTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"jobscheduler-sqlite-{Guid.NewGuid():n}");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Schema2File_OpenedByThisRelease_GetsTheDagTables_AndKeepsItsJobs()
    {
        Directory.CreateDirectory(_directory);
        var path = Path.Combine(_directory, "db.sqlite");
        var row = JobRow.From(Job("kept"));
        using (var connection = new SqliteConnection($"Data Source={path}"))
        {
            connection.Open();
            foreach (var migration in SqliteSchema.Migrations.Where(m => m.Version <= 2))
            {
                using var apply = connection.CreateCommand();
                apply.CommandText = $"{migration.Sql}; PRAGMA user_version = {migration.Version}";
                apply.ExecuteNonQuery();
            }
            using var insert = connection.CreateCommand();
            insert.CommandText = """
                INSERT INTO jobs (id, owner, state, tags, next_fire_at, created_at, updated_at, document, runtime, version)
                VALUES ($id, 'alice', 'active', '{}', NULL, 0, 0, $document, $runtime, 4)
                """;
            insert.Parameters.AddWithValue("$id", row.Id);
            insert.Parameters.AddWithValue("$document", row.Document);
            insert.Parameters.AddWithValue("$runtime", row.Runtime);
            insert.ExecuteNonQuery();
        }
        SqliteConnection.ClearAllPools();

        await using var database = new SqliteDatabase(SqliteFileLock.Acquire(path), NullLogger<SqliteDatabase>.Instance);
        var storage = new SqliteGrainStorage("test", database, TestDatabase.Serializer);
        var job = new GrainState<JobGrainState>();
        await storage.ReadStateAsync(StateNames.Job, JobGrain("kept"), job);
        await storage.WriteStateAsync(StateNames.Dag, DagGrain("new"), new GrainState<DagGrainState> { State = Dag("new") });

        Assert.Equal(6, SqliteSchema.LatestVersion);
        Assert.Equal(SqliteSchema.LatestVersion, await database.ReadAsync(SqliteSchema.Version));
        Assert.Equal(("kept", "4"), (job.State!.Job!.Id, job.ETag));
        Assert.Equal(["new"], (await new SqliteDagCatalog(database).QueryDagsAsync(new DagQuery())).Items.Select(d => d.Id));
    }
}
