using System.Text;
using System.Text.Json;
using JobScheduler.Testing;
using Microsoft.Data.Sqlite;

namespace JobScheduler.Persistence.Sqlite.Tests;

/// <summary>
/// Action secrets in the SQLite file: the key ring is kept with the jobs, so a restarted server still opens the secrets
/// it stored, and the file holds their ciphertext only.
/// </summary>
public sealed class SecretsTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"jobscheduler-secrets-{Guid.NewGuid():n}");

    private string DatabasePath => Path.Combine(_directory, "db.sqlite");

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static async Task<string> RunAsync(ServerProcess server, string jobId)
    {
        var executionId = (await server.SendJsonAsync(HttpMethod.Post, $"/api/jobs/{jobId}/trigger")).GetProperty("id").GetString()!;
        var done = await server.EventuallyAsync(async () =>
        {
            var execution = await server.GetJsonAsync($"/api/executions/{executionId}");
            return execution.GetProperty("state").GetString() is "succeeded" or "failed" ? execution : (JsonElement?)null;
        }, Patience, $"execution {executionId} to finish");
        return done.GetProperty("state").GetString()!;
    }

    [Fact]
    public async Task KilledAndRestartedServer_StillDecryptsTheSecretItStored_AndTheFileHoldsOnlyCiphertext()
    {
        // The command compares with the value in base64, so the file's copy of its arguments does not hold it.
        const string secret = "survives-restarts-61c";
        await using var server = ServerProcess.OnSqlite(DatabasePath);
        await server.StartAsync();
        await server.SendJsonAsync(HttpMethod.Put, "/api/jobs/with-secret", $$$"""
            {"schedule":{"kind":"manual"},
             "action":{"kind":"command","command":"sh","args":["-c","test \"$TOKEN\" = \"$(echo {{{Convert.ToBase64String(Encoding.UTF8.GetBytes(secret))}}} | base64 -d)\""],"secrets":{"TOKEN":"{{{secret}}}"}} }
            """);
        Assert.Equal("succeeded", await RunAsync(server, "with-secret"));

        await server.KillAsync();
        var stored = Encoding.Latin1.GetString([.. await File.ReadAllBytesAsync(DatabasePath), .. File.Exists(DatabasePath + "-wal") ? await File.ReadAllBytesAsync(DatabasePath + "-wal") : []]);
        Assert.Contains("enc:v1:", stored, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, stored, StringComparison.Ordinal);
        Assert.True(KeyRows() >= 1);

        await server.StartAsync();

        Assert.Equal("succeeded", await RunAsync(server, "with-secret"));
        var job = await server.GetJsonAsync("/api/jobs/with-secret");
        Assert.Equal("***", job.GetProperty("action").GetProperty("secrets").GetProperty("TOKEN").GetString());
    }

    [Fact]
    public async Task KeyRingStore_ReadsEveryElementInOrder_AndOnlyAdds()
    {
        await using var database = new TestDatabase();
        var store = new SqliteKeyRingStore(database.Database, TimeProvider.System);

        store.Add("key-1", "<key id=\"1\" />");
        store.Add("key-2", "<key id=\"2\" />");

        Assert.Equal(["<key id=\"1\" />", "<key id=\"2\" />"], store.ReadAll());
    }

    private long KeyRows()
    {
        using var connection = new SqliteConnection($"Data Source={DatabasePath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM data_protection_keys";
        return (long)command.ExecuteScalar()!;
    }
}
