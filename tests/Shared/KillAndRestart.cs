using System.Text.Json;

namespace JobScheduler.Testing;

/// <summary>
/// The operator's crash test, the same on every durable store: a server running cron, interval, once and long
/// command jobs is killed with SIGKILL and started again on the same storage; every job, its nextFireAt and its history
/// must be there, the misfire policies followed, no instant run twice, and the lost attempt re-run within 10 s of ready.
/// </summary>
public static class KillAndRestart
{
    private static async Task<JsonElement[]> ExecutionsAsync(ServerProcess server, string jobId) =>
        [.. (await server.GetJsonAsync($"/api/jobs/{jobId}/executions?limit=500")).GetProperty("items").EnumerateArray()];

    /// <summary>Runs the scenario on <paramref name="server"/> (started with a misfire threshold of 2 s).</summary>
    public static async Task RunAsync(ServerProcess server, TimeSpan patience)
    {
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
        await server.EventuallyAsync(async () => (await ExecutionsAsync(server, "tick")).Count(e => e.GetProperty("state").GetString() == "succeeded") >= 2 ? "ok" : null, patience, "two tick runs");
        await server.EventuallyAsync(async () => (await server.GetJsonAsync($"/api/executions/{longRun}")).GetProperty("state").GetString() == "running" ? "ok" : null, patience, "the long run to start");

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
        }, patience, "the lost attempt to be re-run");
        var attempts = rerun.GetProperty("attempts").EnumerateArray().ToArray();
        Assert.Equal(["lost", "succeeded"], attempts.Select(a => a.GetProperty("outcome").GetString()));
        var restartedAfter = attempts[1].GetProperty("startedAt").GetDateTimeOffset() - ready;
        Assert.True(restartedAfter < TimeSpan.FromSeconds(10), $"the lost attempt restarted {restartedAfter} after the server was ready");
        Assert.Equal("attempt 2\nfinished\n", attempts[1].GetProperty("output").GetString());

        // History from before the kill is intact, and the cron job fires again; no instant ran twice.
        await server.EventuallyAsync(async () => (await ExecutionsAsync(server, "tick")).Any(e => e.GetProperty("scheduledAt").GetDateTimeOffset() > ready) ? "ok" : null, patience, "a tick after the restart");
        var ticksAfter = await ExecutionsAsync(server, "tick");
        Assert.Subset(ticksAfter.Select(e => e.GetProperty("id").GetString()!).ToHashSet(), ticksBefore.ToHashSet());
        Assert.Equal(ticksAfter.Length, ticksAfter.Select(e => e.GetProperty("scheduledAt").GetDateTimeOffset()).Distinct().Count());
        Assert.All(ticksAfter.Where(e => e.GetProperty("state").GetString() != "running"), e => Assert.Single(e.GetProperty("attempts").EnumerateArray()));

        // The once jobs that fell due while the server was down follow their misfire policy.
        var catchUp = await server.EventuallyAsync(async () => (await ExecutionsAsync(server, "once-catch-up")) is [var only] && only.GetProperty("state").GetString() == "succeeded" ? (JsonElement?)only : null, patience, "the catch-up run");
        Assert.Equal(dueDuringDowntime.ToUnixTimeMilliseconds(), catchUp.GetProperty("scheduledAt").GetDateTimeOffset().ToUnixTimeMilliseconds());
        var skipped = await server.EventuallyAsync(async () => (await server.GetJsonAsync("/api/jobs/once-skip")) is var job && job.GetProperty("state").GetString() == "completed" ? (JsonElement?)job : null, patience, "the skipped once job to complete");
        Assert.Equal(1, skipped.GetProperty("skippedFires").GetInt64());
        Assert.Empty(await ExecutionsAsync(server, "once-skip"));
    }
}
