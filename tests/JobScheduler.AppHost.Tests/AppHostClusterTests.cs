using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace JobScheduler.AppHost.Tests;

/// <summary>
/// What an operator sees after <c>dotnet run --project src/JobScheduler.AppHost</c> with a PostgreSQL connection string:
/// the API answers and runs jobs on three silos, and the dashboard shows every process's logs, traces and metrics.
/// </summary>
public sealed class AppHostClusterTests(AppHostCluster cluster) : IClassFixture<AppHostCluster>
{
    private AppHostRun Run => cluster.Run;

    [Fact]
    public async Task Cluster_ApiIsReadyOnPostgres_SignsInTheAdminWithTheParameter_AndSeesThreeSilos()
    {
        Assert.Equal(["api", .. AppHostCluster.Silos], Run.ServerProcesses());
        using var ready = await Run.Api.GetAsync("/health/ready");
        var health = await ready.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("api", health.GetProperty("role").GetString());
        Assert.Equal("postgres", health.GetProperty("storage").GetString());

        // Signed in as admin with the password the app host's admin-password parameter gave the first start.
        using var jobs = await Run.Api.GetAsync("/api/jobs");
        Assert.True(jobs.StatusCode == HttpStatusCode.OK, $"GET /api/jobs → {(int)jobs.StatusCode}: {await jobs.Content.ReadAsStringAsync()}");

        var nodes = await Eventually.ValueAsync(async () =>
        {
            var list = await Run.Api.GetFromJsonAsync<JsonElement>("/api/nodes");
            var active = list.GetProperty("items").EnumerateArray().Where(n => n.GetProperty("state").GetString() == "active").ToList();
            return active.Count == AppHostCluster.Silos.Length ? active : null;
        }, "three active nodes in /api/nodes");
        Assert.Equal(AppHostCluster.Silos.Length, nodes.Select(n => n.GetProperty("id").GetString()).Distinct().Count());
    }

    [Fact]
    public async Task Dashboard_ReceivesLogsTracesAndMetricsFromEveryProcess_AndTheTriggerRequestsTraceHoldsTheSilosAttemptAndAction()
    {
        using (var put = await Run.Api.PutAsJsonAsync("/api/jobs/apphost-probe", new
        {
            schedule = new { kind = "manual" },
            action = new { kind = "handler", handler = "noop" },
        }))
        {
            Assert.True(put.IsSuccessStatusCode, $"PUT /api/jobs/apphost-probe → {(int)put.StatusCode}: {await put.Content.ReadAsStringAsync()}");
        }
        string executionId;
        using (var trigger = await Run.Api.PostAsync("/api/jobs/apphost-probe/trigger", content: null))
        {
            Assert.Equal(HttpStatusCode.Accepted, trigger.StatusCode);
            executionId = (await trigger.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        }
        await Eventually.TrueAsync(async () =>
            (await Run.Api.GetFromJsonAsync<JsonElement>($"/api/executions/{Uri.EscapeDataString(executionId)}")).GetProperty("state").GetString() == "succeeded",
            $"execution {executionId} to succeed");

        // Every process (three silos and the API) sends the dashboard its logs, traces and metrics.
        var processes = AppHostCluster.Silos.Append("api").ToArray();
        await Eventually.TrueAsync(async () =>
        {
            var all = await Run.Dashboard.ResourcesAsync();
            return processes.All(p => all.Any(r => r.Name == p && r is { HasLogs: true, HasTraces: true, HasMetrics: true }));
        }, $"logs, traces and metrics from each of {string.Join(", ", processes)} in the dashboard");
        foreach (var silo in AppHostCluster.Silos)
        {
            Assert.NotEmpty(await Run.Dashboard.SpansAsync(silo));
        }

        // The trigger request's trace, begun in the API process (ASP.NET Core's span), continues into the silos through
        // Orleans' activity propagation: the run's attempt and its action are spans of that same trace, sent by a silo.
        await Eventually.TrueAsync(async () =>
        {
            var triggerTraces = (await Run.Dashboard.SpansAsync("api"))
                .Where(s => s.Name.Contains("trigger", StringComparison.Ordinal)).Select(s => s.TraceId).ToHashSet();
            var siloSpansOfThoseTraces = new List<string>();
            foreach (var silo in AppHostCluster.Silos)
            {
                siloSpansOfThoseTraces.AddRange((await Run.Dashboard.SpansAsync(silo)).Where(s => triggerTraces.Contains(s.TraceId)).Select(s => s.Name));
            }
            return siloSpansOfThoseTraces.Contains("jobscheduler.attempt") && siloSpansOfThoseTraces.Contains("jobscheduler.action");
        }, "the trigger request's trace (a span of the api) to hold the attempt and action spans of a silo");
    }
}
