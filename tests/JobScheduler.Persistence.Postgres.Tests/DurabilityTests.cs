using System.Diagnostics;
using System.Text.Json;
using JobScheduler.Testing;

namespace JobScheduler.Persistence.Postgres.Tests;

/// <summary>
/// The server as a real process on PostgreSQL, treated as an operator would: killed with SIGKILL in the middle of
/// cron, once and long-running jobs or of a DAG run, then started again; and PostgreSQL restarted under it.
/// </summary>
public sealed class DurabilityTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly PostgresDatabase _database = new();

    public Task InitializeAsync() => _database.InitializeAsync();

    public Task DisposeAsync() => _database.DisposeAsync();

    private static string Json(object value) => JsonSerializer.Serialize(value);

    private static async Task<JsonElement[]> ExecutionsAsync(ServerProcess server, string jobId) =>
        [.. (await server.GetJsonAsync($"/api/jobs/{jobId}/executions?limit=500")).GetProperty("items").EnumerateArray()];

    [Fact]
    public async Task KilledServer_StartsAgainWithEveryJobAndItsHistory_AndReRunsTheLostAttempt()
    {
        // A short misfire threshold, so that fires missed during the few seconds of downtime count as misfires.
        await using var server = ServerProcess.OnPostgres(_database.ConnectionString, "--JobScheduler:MisfireThreshold=00:00:02");
        await KillAndRestart.RunAsync(server, Patience);
    }

    [Fact]
    public async Task KilledServerMidDagRun_FinishesTheRun_WithoutReRunningFinishedSteps_AndReRunsTheRunningOneAsLost()
    {
        await using var server = ServerProcess.OnPostgres(_database.ConnectionString);
        await DagKillAndRestart.RunAsync(server, Patience);
    }

    [Fact]
    public async Task KilledServerWhileADagStepWaitsForAJob_StartsTheStepOnceThatJobSucceeds_WithoutReRunningFinishedSteps()
    {
        await using var server = ServerProcess.OnPostgres(_database.ConnectionString);
        await DagKillAndRestart.RunWithAWaitingStepAsync(server, Patience);
    }

    [Fact]
    public async Task PostgresRestartedUnderARunningServer_TheServerCarriesOn()
    {
        await using var server = ServerProcess.OnPostgres(_database.ConnectionString);
        await server.StartAsync();
        await server.SendJsonAsync(HttpMethod.Put, "/api/jobs/steady", new { schedule = new { kind = "cron", expression = "* * * * * *" }, action = new { kind = "handler", handler = "noop" } });
        await server.EventuallyAsync(async () => (await ExecutionsAsync(server, "steady")).Length >= 2 ? "ok" : null, Patience, "runs before the restart");

        await RestartPostgresAsync();
        var back = DateTimeOffset.UtcNow;

        // Calls may fail while the database is away; once it is back the server answers again without a restart.
        await server.EventuallyAsync(async () =>
        {
            using var response = await server.Http.GetAsync("/health/ready");
            return response.IsSuccessStatusCode ? "ok" : null;
        }, Patience, "readiness after the database restart");
        await server.EventuallyAsync(async () =>
        {
            using var response = await server.Http.PutAsync("/api/jobs/after", new StringContent(Json(new { schedule = new { kind = "manual" }, action = new { kind = "handler", handler = "noop" } }), System.Text.Encoding.UTF8, "application/json"));
            return response.IsSuccessStatusCode ? "ok" : null;
        }, Patience, "a job created after the database restart");
        var runs = await server.EventuallyAsync(async () =>
        {
            var later = (await ExecutionsAsync(server, "steady")).Where(e => e.GetProperty("scheduledAt").GetDateTimeOffset() > back.AddSeconds(1)).ToArray();
            return later.Count(e => e.GetProperty("state").GetString() == "succeeded") >= 2 ? later : null;
        }, Patience, "the cron job to fire again after the database restart");

        Assert.NotEmpty(runs);
        var triggered = (await server.SendJsonAsync(HttpMethod.Post, "/api/jobs/after/trigger")).GetProperty("id").GetString();
        await server.EventuallyAsync(async () => (await server.GetJsonAsync($"/api/executions/{triggered}")).GetProperty("state").GetString() == "succeeded" ? "ok" : null, Patience, "a triggered run");
    }

    private static async Task RestartPostgresAsync()
    {
        // The tests' PostgreSQL is the machine's own cluster (see tests/setup-postgres.sh); restarting it needs root.
        Assert.True(Environment.UserName == "root", "Restarting PostgreSQL needs root (as in CI).");
        using var restart = Process.Start(new ProcessStartInfo("service", ["postgresql", "restart"]) { UseShellExecute = false, RedirectStandardOutput = true })!;
        await restart.WaitForExitAsync();
        Assert.Equal(0, restart.ExitCode);
    }
}
