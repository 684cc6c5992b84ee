using JobScheduler.Testing;
using Npgsql;

namespace JobScheduler.Persistence.Postgres.Tests;

/// <summary>A server that cannot use its database says why and stops, instead of half-starting.</summary>
public sealed class StartupTests
{
    [Fact]
    public async Task UnreachableDatabase_IsRetriedThenReportedClearly()
    {
        await using var server = ServerProcess.OnPostgres(
            "Host=127.0.0.1;Port=1;Username=nobody;Password=nothing;Database=nowhere;Timeout=1",
            // Long enough for the first attempt to be logged even on a loaded CI machine (the chaos run shares it).
            "--JobScheduler:Database:StartupTimeout=00:00:10");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => server.StartAsync());

        // The whole log: the error carries only its last 40 lines, and the final exception's stack trace can fill them.
        var log = await File.ReadAllTextAsync(server.LogPath);
        Assert.Contains("PostgreSQL at 127.0.0.1:1/nowhere is not available (attempt 1)", log);
        Assert.Contains("JobScheduler could not start: PostgreSQL at 127.0.0.1:1/nowhere did not answer within 00:00:10", error.Message);
        Assert.Contains("exited with 1", error.Message);
        Assert.DoesNotContain("nothing", log);
    }

    [Fact]
    public async Task WrongPassword_StopsAtOnceWithAClearMessage()
    {
        var wrong = new NpgsqlConnectionStringBuilder(PostgresDatabase.AdminConnectionString) { Password = "not-the-password" }.ConnectionString;
        await using var server = ServerProcess.OnPostgres(wrong);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => server.StartAsync());

        Assert.Contains("refused the connection", error.Message);
        Assert.Contains("Check ConnectionStrings:Postgres", error.Message);
    }
}
