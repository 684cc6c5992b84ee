using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace JobScheduler.Persistence.Postgres.Tests;

public sealed class PostgresSchemaTests : IAsyncLifetime
{
    private readonly PostgresDatabase _database = new();

    public Task InitializeAsync() => _database.InitializeAsync();

    public Task DisposeAsync() => _database.DisposeAsync();

    private PostgresSchema Schema(NpgsqlDataSource dataSource) => new(dataSource, NullLogger<PostgresSchema>.Instance);

    [Fact]
    public async Task Ensure_OnAnEmptyDatabase_AppliesEveryMigration_WithEveryQueryTheProvidersNeed()
    {
        await using var dataSource = _database.CreateDataSource();

        var before = await Schema(dataSource).EnsureAsync(apply: true, CancellationToken.None);

        Assert.Equal(0, before);
        Assert.Equal(PostgresSchema.LatestVersion, await _database.ScalarAsync("SELECT max(version) FROM js_schema_migrations"));
        string[] required =
        [
            "InsertMembershipVersionKey", "InsertMembershipKey", "UpdateMembershipKey", "UpdateIAmAlivetimeKey",
            "MembershipReadRowKey", "MembershipReadAllKey", "GatewaysQueryKey", "DeleteMembershipTableEntriesKey",
            "CleanupDefunctSiloEntriesKey", "ReadFromStorageKey", "WriteToStorageKey", "ClearStorageKey",
            "UpsertReminderRowKey", "ReadReminderRowsKey", "ReadReminderRowKey", "ReadRangeRows1Key", "ReadRangeRows2Key",
            "DeleteReminderRowKey", "DeleteReminderRowsKey",
        ];
        var keys = string.Join("','", required);
        Assert.Equal(required.Length, await _database.ScalarAsync($"SELECT count(*) FROM OrleansQuery WHERE QueryKey IN ('{keys}')"));
    }

    [Fact]
    public async Task Ensure_Again_IsANoOp()
    {
        await using var dataSource = _database.CreateDataSource();
        await Schema(dataSource).EnsureAsync(apply: true, CancellationToken.None);
        var appliedAt = await _database.ScalarAsync("SELECT extract(epoch FROM max(applied_at))::bigint FROM js_schema_migrations");

        var before = await Schema(dataSource).EnsureAsync(apply: true, CancellationToken.None);

        Assert.Equal(PostgresSchema.LatestVersion, before);
        Assert.Equal(PostgresSchema.Migrations.Count, await _database.ScalarAsync("SELECT count(*) FROM js_schema_migrations"));
        Assert.Equal(appliedAt, await _database.ScalarAsync("SELECT extract(epoch FROM max(applied_at))::bigint FROM js_schema_migrations"));
    }

    [Fact]
    public async Task Ensure_FromThreeProcessesAtOnce_OnAnEmptyDatabase_MigratesOnce()
    {
        var dataSources = Enumerable.Range(0, 3).Select(_ => _database.CreateDataSource()).ToList();

        var results = await Task.WhenAll(dataSources.Select(d => Schema(d).EnsureAsync(apply: true, CancellationToken.None)));

        Assert.Equal(0, results.Min());
        Assert.Equal(PostgresSchema.Migrations.Count, await _database.ScalarAsync("SELECT count(*) FROM js_schema_migrations"));
        foreach (var dataSource in dataSources)
        {
            await dataSource.DisposeAsync();
        }
    }

    [Fact]
    public async Task Migration5_OnADatabaseWithGrainStateOfAnOlderBuild_RefusesRatherThanLoseIt()
    {
        await using var dataSource = _database.CreateDataSource();
        await Schema(dataSource).EnsureAsync(apply: true, CancellationToken.None);
        // A database at schema 4 whose grain state an older build wrote to OrleansStorage.
        await _database.ScalarAsync("DELETE FROM js_schema_migrations WHERE version >= 5 RETURNING version");
        await _database.ScalarAsync(
            "INSERT INTO OrleansStorage (GrainIdHash, GrainIdN0, GrainIdN1, GrainTypeHash, GrainTypeString, ServiceId, PayloadBinary, Version) " +
            "VALUES (1, 0, 0, 1, 'job', 'jobscheduler', '\\x01', 1) RETURNING Version");

        var error = await Assert.ThrowsAsync<PostgresException>(() => Schema(dataSource).EnsureAsync(apply: true, CancellationToken.None));

        Assert.Contains("OrleansStorage", error.MessageText);
        Assert.Equal(4, await _database.ScalarAsync("SELECT max(version) FROM js_schema_migrations"));
    }

    [Fact]
    public async Task Migration8_OnASchema7DatabaseWithJobs_AddsTheDagTables_AndKeepsTheJobs()
    {
        await using var dataSource = _database.CreateDataSource();
        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            await using (var table = new NpgsqlCommand("CREATE TABLE js_schema_migrations (version integer NOT NULL PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())", connection))
            {
                await table.ExecuteNonQueryAsync();
            }
            foreach (var migration in PostgresSchema.Migrations.Where(m => m.Version <= 7))
            {
                await using var apply = new NpgsqlCommand(migration.Sql, connection);
                await apply.ExecuteNonQueryAsync();
                await using var record = new NpgsqlCommand($"INSERT INTO js_schema_migrations (version, name) VALUES ({migration.Version}, '{migration.Name}')", connection);
                await record.ExecuteNonQueryAsync();
            }
            // A job and a finished execution as schema 7 stores them.
            await using var rows = new NpgsqlCommand("""
                INSERT INTO js_jobs (id, owner, state, tags, next_fire_at, created_at, updated_at, document, runtime, version)
                VALUES ('kept', 'o', 'active', '{}', now(), now(), now(), '{"id":"kept","owner":"o","state":"active"}', '{}', 3);
                INSERT INTO js_executions (id, job_id, owner, scheduled_at, state, created_at, finished_at, document, version)
                VALUES ('kept@1', 'kept', 'o', now(), 'succeeded', now(), now(), '{"id":"kept@1","jobId":"kept"}', 2);
                """, connection);
            await rows.ExecuteNonQueryAsync();
        }
        Assert.Equal(0, await _database.ScalarAsync("SELECT count(*) FROM pg_tables WHERE tablename IN ('js_dags', 'js_dag_runs')"));

        var before = await Schema(dataSource).EnsureAsync(apply: true, CancellationToken.None);

        Assert.Equal(7, before);
        Assert.Equal(PostgresSchema.LatestVersion, await _database.ScalarAsync("SELECT max(version) FROM js_schema_migrations"));
        Assert.Equal(2, await _database.ScalarAsync("SELECT count(*) FROM pg_tables WHERE tablename IN ('js_dags', 'js_dag_runs')"));
        Assert.Equal(1, await _database.ScalarAsync("SELECT count(*) FROM pg_indexes WHERE indexname = 'js_executions_dag_steps'"));
        Assert.Equal(3, await _database.ScalarAsync("SELECT version FROM js_jobs WHERE id = 'kept'"));
        Assert.Equal(1, await _database.ScalarAsync("SELECT count(*) FROM js_executions WHERE job_id = 'kept'"));
        Assert.Equal(PostgresSchema.LatestVersion, await Schema(dataSource).EnsureAsync(apply: false, CancellationToken.None));
    }

    [Fact]
    public async Task Ensure_AgainstANewerSchema_Refuses()
    {
        await using var dataSource = _database.CreateDataSource();
        await Schema(dataSource).EnsureAsync(apply: true, CancellationToken.None);
        await _database.ScalarAsync("INSERT INTO js_schema_migrations (version, name) VALUES (999, '0999_from_the_future') RETURNING version");

        var error = await Assert.ThrowsAsync<SchemaVersionException>(() => Schema(dataSource).EnsureAsync(apply: true, CancellationToken.None));

        Assert.Contains("version 999, newer than this program knows", error.Message);
    }

    [Fact]
    public async Task Ensure_WithoutApplying_OnAnEmptyDatabase_SaysWhatIsMissing()
    {
        await using var dataSource = _database.CreateDataSource();

        var error = await Assert.ThrowsAsync<SchemaVersionException>(() => Schema(dataSource).EnsureAsync(apply: false, CancellationToken.None));

        Assert.Contains("0001_orleans_clustering", error.Message);
        Assert.Contains("schema.sql", error.Message);
        Assert.Equal(0, await _database.ScalarAsync("SELECT count(*) FROM js_schema_migrations"));
    }

    [Fact]
    public async Task SchemaScript_AppliedByHandWithPsql_LeavesNothingForTheProgramToDo()
    {
        var script = Path.Combine(AppContext.BaseDirectory, "Schema", "schema.sql");
        var builder = new NpgsqlConnectionStringBuilder(_database.ConnectionString);
        var psql = new ProcessStartInfo("psql", ["-X", "-q", "-h", builder.Host!, "-p", builder.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", builder.Username!, "-d", builder.Database!, "-f", script])
        {
            UseShellExecute = false,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        psql.Environment["PGPASSWORD"] = builder.Password;
        using var process = Process.Start(psql)!;
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, errors);

        await using var dataSource = _database.CreateDataSource();
        var before = await Schema(dataSource).EnsureAsync(apply: false, CancellationToken.None);

        Assert.Equal(PostgresSchema.LatestVersion, before);
    }
}
