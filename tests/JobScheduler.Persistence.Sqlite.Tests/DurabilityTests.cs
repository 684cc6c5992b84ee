using System.Diagnostics;
using System.Text.Json;
using JobScheduler.Testing;

namespace JobScheduler.Persistence.Sqlite.Tests;

/// <summary>
/// The server as a real process on its default SQLite storage, treated as an operator would: killed with SIGKILL in
/// the middle of cron, interval, once and long-running jobs, then started again on the same file; and a second process
/// started on a file that one already uses.
/// </summary>
public sealed class DurabilityTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"jobscheduler-durability-{Guid.NewGuid():n}");

    private string DatabasePath => Path.Combine(_directory, "db.sqlite");

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static async Task<JsonElement[]> ExecutionsAsync(ServerProcess server, string jobId) =>
        [.. (await server.GetJsonAsync($"/api/jobs/{jobId}/executions?limit=500")).GetProperty("items").EnumerateArray()];

    [Fact]
    public async Task KilledServer_StartsAgainWithEveryJobAndItsHistory_AndReRunsTheLostAttempt()
    {
        // A short misfire threshold, so that fires missed during the few seconds of downtime count as misfires.
        await using var server = new ServerProcess(DatabasePath, "--JobScheduler:MisfireThreshold=00:00:02");
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
    public async Task SecondServerOnTheSameFile_ExitsWithCode1_AndOneLineNamingTheFile()
    {
        await using var first = new ServerProcess(DatabasePath);
        await first.StartAsync();
        var health = await first.GetJsonAsync("/health/ready");
        Assert.True(health.GetProperty("durable").GetBoolean());
        Assert.Equal(DatabasePath, health.GetProperty("data").GetString());

        var server = ServerProcess.ServerDllPath;
        using var second = Process.Start(new ProcessStartInfo("dotnet",
        [
            server,
            $"--urls=http://127.0.0.1:{LoopbackPorts.Free()}",
            "--environment=Production",
            $"--JobScheduler:Sqlite:Path={DatabasePath}",
            $"--Orleans:SiloPort={LoopbackPorts.Free()}",
            $"--Orleans:GatewayPort={LoopbackPorts.Free()}",
        ])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(server)!,
        })!;
        var stderr = second.StandardError.ReadToEndAsync();
        var stdout = second.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Patience);
        await second.WaitForExitAsync(timeout.Token);

        Assert.Equal(1, second.ExitCode);
        var lines = (await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var line = Assert.Single(lines);
        Assert.StartsWith("JobScheduler could not start: ", line, StringComparison.Ordinal);
        Assert.Contains(DatabasePath, line, StringComparison.Ordinal);
        Assert.Equal("", (await stdout).Trim());

        // The first one carries on.
        Assert.Equal("Healthy", (await first.GetJsonAsync("/health/ready")).GetProperty("status").GetString());
    }
}
