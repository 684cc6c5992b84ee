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
    public async Task Dashboard_ReceivesLogsTracesAndMetricsFromEveryProcess_EachSilosActionSpan_AndTheTriggerRequestsTraceReachesTheSilos()
    {
        // Three runs at once, each reserving a quarter of a node's CPU: placement puts each on the least loaded node,
        // so each silo runs one, and each silo has spans to send (traces start at a request or a scheduler span).
        var executionIds = new List<string>();
        foreach (var job in AppHostCluster.Silos.Select((_, i) => $"apphost-probe-{i + 1}"))
        {
            using (var put = await Run.Api.PutAsJsonAsync($"/api/jobs/{job}", new
            {
                schedule = new { kind = "manual" },
                action = new { kind = "handler", handler = "sleep", payload = new { ms = 8000 } },
                resources = new { cpuMillis = 500 },
            }))
            {
                Assert.True(put.IsSuccessStatusCode, $"PUT /api/jobs/{job} → {(int)put.StatusCode}: {await put.Content.ReadAsStringAsync()}");
            }
            using var trigger = await Run.Api.PostAsync($"/api/jobs/{job}/trigger", content: null);
            Assert.Equal(HttpStatusCode.Accepted, trigger.StatusCode);
            executionIds.Add((await trigger.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!);
        }
        var nodes = new List<string>();
        foreach (var executionId in executionIds)
        {
            var execution = await Eventually.ValueAsync(async () =>
                await Run.Api.GetFromJsonAsync<JsonElement>($"/api/executions/{Uri.EscapeDataString(executionId)}") is var e
                    && e.GetProperty("state").GetString() == "succeeded" ? (object)e : null,
                $"execution {executionId} to succeed");
            nodes.Add(((JsonElement)execution).GetProperty("attempts")[0].GetProperty("node").GetString()!);
        }
        Assert.Equal(AppHostCluster.Silos.Length, nodes.Distinct().Count());

        // Every process (three silos and the API) sends the dashboard its logs, traces and metrics.
        var processes = AppHostCluster.Silos.Append("api").ToArray();
        await Eventually.TrueAsync(async () =>
        {
            var all = await Run.Dashboard.ResourcesAsync();
            return processes.All(p => all.Any(r => r.Name == p && r is { HasLogs: true, HasTraces: true, HasMetrics: true }));
        }, $"logs, traces and metrics from each of {string.Join(", ", processes)} in the dashboard");
        foreach (var silo in AppHostCluster.Silos)
        {
            // The action runs on the node placement chose; its span is sent by that silo.
            await Eventually.TrueAsync(async () => (await Run.Dashboard.SpansAsync(silo)).Any(s => s.Name == "jobscheduler.action"),
                $"the span of the action {silo} ran in the dashboard");
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
