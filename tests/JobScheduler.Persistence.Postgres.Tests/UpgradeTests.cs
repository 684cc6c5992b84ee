using System.Text.Json;
using JobScheduler.Testing;
using Npgsql;

namespace JobScheduler.Persistence.Postgres.Tests;

/// <summary>
/// An operator's upgrade in place: a database written by the schema-5 release (Fixtures/schema5-data.sql is the data of
/// one, dumped after that build ran cron, interval, once, paused, deleted and failing jobs and was killed with a
/// command still running) is opened by this release, which migrates it and converts its grain state into rows.
/// </summary>
public sealed class UpgradeTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly PostgresDatabase _database = new();

    public Task InitializeAsync() => _database.InitializeAsync();

    public Task DisposeAsync() => _database.DisposeAsync();

    private async Task RestoreSchema5DatabaseAsync()
    {
        await using var dataSource = _database.CreateDataSource();
        await using var connection = await dataSource.OpenConnectionAsync();
        await using (var table = new NpgsqlCommand("CREATE TABLE js_schema_migrations (version integer NOT NULL PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())", connection))
        {
            await table.ExecuteNonQueryAsync();
        }
        foreach (var migration in PostgresSchema.Migrations.Where(m => m.Version <= 5))
        {
            await using var apply = new NpgsqlCommand(migration.Sql, connection);
            await apply.ExecuteNonQueryAsync();
            await using var record = new NpgsqlCommand($"INSERT INTO js_schema_migrations (version, name) VALUES ({migration.Version}, '{migration.Name}')", connection);
            await record.ExecuteNonQueryAsync();
        }
        var data = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Fixtures", "schema5-data.sql"));
        await using var load = new NpgsqlCommand(data, connection);
        await load.ExecuteNonQueryAsync();
    }

    private static async Task<JsonElement[]> ExecutionsAsync(ServerProcess server, string jobId) =>
        [.. (await server.GetJsonAsync($"/api/jobs/{jobId}/executions?limit=500")).GetProperty("items").EnumerateArray()];

    [Fact]
    public async Task Schema5Database_UpgradedInPlace_KeepsEveryJobAndExecution_AndFiresAgain()
    {
        await RestoreSchema5DatabaseAsync();
        Assert.Equal(22, await _database.ScalarAsync("SELECT count(*) FROM js_grain_state WHERE state_name IN ('job', 'execution')"));

        await using var server = ServerProcess.OnPostgres(_database.ConnectionString);
        var ready = await server.StartAsync();

        Assert.Equal(PostgresSchema.LatestVersion, await _database.ScalarAsync("SELECT max(version) FROM js_schema_migrations"));
        Assert.Equal(0, await _database.ScalarAsync("SELECT count(*) FROM js_grain_state WHERE state_name IN ('job', 'execution')"));
        // Jobs keep no reminder of their own any more (schema 7): the scanner's is the one left.
        Assert.Equal(0, await _database.ScalarAsync("SELECT count(*) FROM OrleansRemindersTable WHERE GrainId LIKE 'job/%'"));

        // Every job is there with its definition and state; the deleted one stays deleted.
        var jobs = (await server.GetJsonAsync("/api/jobs?limit=100")).GetProperty("items").EnumerateArray()
            .ToDictionary(j => j.GetProperty("id").GetString()!);
        Assert.Equal(["echo", "every-second", "flaky", "hourly", "once-done", "paused-one", "slow"], jobs.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("paused", jobs["paused-one"].GetProperty("state").GetString());
        Assert.Equal("completed", jobs["once-done"].GetProperty("state").GetString());
        Assert.Equal("alice", jobs["every-second"].GetProperty("owner").GetString());
        Assert.Equal(0, (await server.GetJsonAsync("/api/jobs/hourly")).GetProperty("retry").GetProperty("jitter").GetDouble());
        using (var gone = await server.Http.GetAsync("/api/jobs/doomed"))
        {
            Assert.Equal(System.Net.HttpStatusCode.NotFound, gone.StatusCode);
        }

        // History and output written by the old release read back through the new rows.
        var echo = (await ExecutionsAsync(server, "echo")).Single();
        var echoRun = await server.GetJsonAsync($"/api/executions/{echo.GetProperty("id").GetString()}");
        Assert.Equal("hello from schema 5\n", echoRun.GetProperty("attempts")[0].GetProperty("output").GetString());
        var flaky = await server.GetJsonAsync($"/api/executions/{(await ExecutionsAsync(server, "flaky")).Single().GetProperty("id").GetString()}");
        Assert.Equal("failed", flaky.GetProperty("state").GetString());
        Assert.Equal(["attempt 1\n", "attempt 2\n"], flaky.GetProperty("attempts").EnumerateArray().Select(a => a.GetProperty("output").GetString()));
        // The ten per-second runs the old build made (12:54:39 to 12:54:48) are all there as they were.
        var runs = (await ExecutionsAsync(server, "every-second")).ToDictionary(e => e.GetProperty("id").GetString()!, e => e.GetProperty("state").GetString());
        Assert.All(Enumerable.Range(39, 10), second => Assert.Equal("succeeded", runs[$"every-second@20261130T1254{second}.0000000Z"]));

        // The command that was running when the old release was killed is run again, as a lost attempt.
        var slowId = (await ExecutionsAsync(server, "slow")).Single().GetProperty("id").GetString();
        var slow = await server.EventuallyAsync(async () =>
        {
            var execution = await server.GetJsonAsync($"/api/executions/{slowId}");
            return execution.GetProperty("state").GetString() == "succeeded" ? (JsonElement?)execution : null;
        }, Patience, "the interrupted attempt to be re-run");
        Assert.Equal(["lost", "succeeded"], slow.GetProperty("attempts").EnumerateArray().Select(a => a.GetProperty("outcome").GetString()));

        // The cron job fires again, and a manual trigger of a converted job runs.
        await server.EventuallyAsync(async () => (await ExecutionsAsync(server, "every-second")).Any(e => e.GetProperty("scheduledAt").GetDateTimeOffset() > ready) ? "ok" : null, Patience, "a fire after the upgrade");
        var triggered = (await server.SendJsonAsync(HttpMethod.Post, "/api/jobs/echo/trigger")).GetProperty("id").GetString();
        await server.EventuallyAsync(async () => (await server.GetJsonAsync($"/api/executions/{triggered}")).GetProperty("state").GetString() == "succeeded" ? "ok" : null, Patience, "a triggered run");
        Assert.Equal(2, (await ExecutionsAsync(server, "echo")).Length);
    }
}
