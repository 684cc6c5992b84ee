using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace JobScheduler.AppHost.Tests;

/// <summary>
/// What an operator sees after <c>dotnet run --project src/JobScheduler.AppHost</c> without a PostgreSQL connection
/// string: one embedded server, durable in its SQLite file, signed in with the app host's admin password, and its
/// telemetry in the dashboard.
/// </summary>
public sealed class AppHostEmbeddedTests(AppHostEmbedded embedded) : IClassFixture<AppHostEmbedded>
{
    [Fact]
    public async Task Embedded_WithoutConnectionString_RunsOneServerOnSqlite_WithItsTelemetryInTheDashboard()
    {
        var run = embedded.Run;
        Assert.Equal([AppHostEmbedded.Server], run.ServerProcesses());

        using var ready = await run.Api.GetAsync("/health/ready");
        var health = await ready.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("all", health.GetProperty("role").GetString());
        Assert.Equal("sqlite", health.GetProperty("storage").GetString());
        Assert.Equal(embedded.SqlitePath, health.GetProperty("data").GetString());
        Assert.True(File.Exists(embedded.SqlitePath), $"{embedded.SqlitePath} was not created");

        using var jobs = await run.Api.GetAsync("/api/jobs");
        Assert.True(jobs.StatusCode == HttpStatusCode.OK, $"GET /api/jobs → {(int)jobs.StatusCode}: {await jobs.Content.ReadAsStringAsync()}");

        await Eventually.TrueAsync(async () =>
            (await run.Dashboard.ResourcesAsync()).Any(r => r is { Name: AppHostEmbedded.Server, HasLogs: true, HasTraces: true, HasMetrics: true }),
            $"logs, traces and metrics from {AppHostEmbedded.Server} in the dashboard");
    }
}
