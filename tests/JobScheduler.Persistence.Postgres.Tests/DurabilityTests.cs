using System.Diagnostics;
using System.Text.Json;

namespace JobScheduler.Persistence.Postgres.Tests;

/// <summary>
/// The server as a real process on PostgreSQL, treated as an operator would: killed with SIGKILL in the middle of
/// cron, once and long-running jobs, then started again; and PostgreSQL restarted under it.
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
        await using var server = new ServerProcess(_database.ConnectionString, "--JobScheduler:MisfireThreshold=00:00:02");
        await server.StartAsync();
        var noop = new { kind = "handler", handler = "noop" };
        await server.SendJsonAsync(HttpMethod.Put, "/api/jobs/tick", new { schedule = new { kind = "cron", expression = "* * * * * *" }, action = noop });
        await server.SendJsonAsync(HttpMethod.Put, "/api/jobs/hourly", new { schedule = new { kind = "interval", every = "PT1H" }, action = noop });
        await server.SendJsonAsync(HttpMethod.Put, "/api/jobs/long", new
        {
            schedule = new { kind = "manual" },
            action = new { kind = "command", command = "bash", args = new[] { "-c", "echo attempt $JOBSCHEDULER_ATTEMPT; sleep 3; echo finished" } },
        });
        var dueDuringDowntime = DateTimeOffset.UtcNow.AddSeconds(3);
        foreach (var (id, misfire) in new[] { ("once-catch-up", "fireOnce"), ("once-skip", "skip") })
        {
            await server.SendJsonAsync(HttpMethod.Put, $"/api/jobs/{id}", new { schedule = new { kind = "once", at = dueDuringDowntime }, action = noop, misfire });
        }
        var longRun = (await server.SendJsonAsync(HttpMethod.Post, "/api/jobs/long/trigger")).GetProperty("id").GetString()!;
        await server.EventuallyAsync(async () => (await ExecutionsAsync(server, "tick")).Count(e => e.GetProperty("state").GetString() == "succeeded") >= 2 ? "ok" : null, Patience, "two tick runs");
        await server.EventuallyAsync(async () => (await server.GetJsonAsync($"/api/executions/{longRun}")).GetProperty("state").GetString() == "running" ? "ok" : null, Patience, "the long run to start");

        var jobsBefore = (await server.GetJsonAsync("/api/jobs?limit=100")).GetProperty("items").EnumerateArray().ToDictionary(j => j.GetProperty("id").GetString()!);
        var ticksBefore = (await ExecutionsAsync(server, "tick")).Where(e => e.GetProperty("state").GetString() == "succeeded").Select(e => e.GetProperty("id").GetString()!).ToList();

        await server.KillAsync();
        await Task.Delay(TimeSpan.FromSeconds(5)); // downtime: the once jobs fall due, ticks are missed
        var ready = await server.StartAsync();

        // Every job is still there, with its schedule.
        var jobsAfter = (await server.GetJsonAsync("/api/jobs?limit=100")).GetProperty("items").EnumerateArray().ToDictionary(j => j.GetProperty("id").GetString()!);
        Assert.Equal(jobsBefore.Keys.Order(), jobsAfter.Keys.Order());
        Assert.Equal(jobsBefore["hourly"].GetProperty("nextFireAt").GetDateTimeOffset(), jobsAfter["hourly"].GetProperty("nextFireAt").GetDateTimeOffset());

        // The attempt that died with the process is recorded as lost and run again within 10 s of the server being ready.
        var rerun = await server.EventuallyAsync(async () =>
        {
            var execution = await server.GetJsonAsync($"/api/executions/{longRun}");
            return execution.GetProperty("state").GetString() == "succeeded" ? (JsonElement?)execution : null;
        }, Patience, "the lost attempt to be re-run");
        var attempts = rerun.GetProperty("attempts").EnumerateArray().ToArray();
        Assert.Equal(["lost", "succeeded"], attempts.Select(a => a.GetProperty("outcome").GetString()));
        var restartedAfter = attempts[1].GetProperty("startedAt").GetDateTimeOffset() - ready;
        Assert.True(restartedAfter < TimeSpan.FromSeconds(10), $"the lost attempt restarted {restartedAfter} after the server was ready");
        Assert.Equal("attempt 2\nfinished\n", attempts[1].GetProperty("output").GetString());

        // History from before the kill is intact, and the cron job fires again; no instant ran twice.
        await server.EventuallyAsync(async () => (await ExecutionsAsync(server, "tick")).Any(e => e.GetProperty("scheduledAt").GetDateTimeOffset() > ready) ? "ok" : null, Patience, "a tick after the restart");
        var ticksAfter = await ExecutionsAsync(server, "tick");
        Assert.Subset(ticksAfter.Select(e => e.GetProperty("id").GetString()!).ToHashSet(), ticksBefore.ToHashSet());
        Assert.Equal(ticksAfter.Length, ticksAfter.Select(e => e.GetProperty("scheduledAt").GetDateTimeOffset()).Distinct().Count());
        Assert.All(ticksAfter.Where(e => e.GetProperty("state").GetString() != "running"), e => Assert.Single(e.GetProperty("attempts").EnumerateArray()));

        // The once jobs that fell due while the server was down follow their misfire policy.
        var catchUp = await server.EventuallyAsync(async () => (await ExecutionsAsync(server, "once-catch-up")) is [var only] && only.GetProperty("state").GetString() == "succeeded" ? (JsonElement?)only : null, Patience, "the catch-up run");
        Assert.Equal(dueDuringDowntime.ToUnixTimeMilliseconds(), catchUp.GetProperty("scheduledAt").GetDateTimeOffset().ToUnixTimeMilliseconds());
        var skipped = await server.EventuallyAsync(async () => (await server.GetJsonAsync("/api/jobs/once-skip")) is var job && job.GetProperty("state").GetString() == "completed" ? (JsonElement?)job : null, Patience, "the skipped once job to complete");
        Assert.Equal(1, skipped.GetProperty("skippedFires").GetInt64());
        Assert.Empty(await ExecutionsAsync(server, "once-skip"));
    }

    [Fact]
    public async Task PostgresRestartedUnderARunningServer_TheServerCarriesOn()
    {
        await using var server = new ServerProcess(_database.ConnectionString);
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
