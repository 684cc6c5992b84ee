using System.Net;
using System.Text.Json;

namespace JobScheduler.Api.Tests;

/// <summary>The REST calls the DAG tests repeat: store a DAG, trigger it, wait for a run, read a step.</summary>
internal static class DagRest
{
    /// <summary>The longest a test waits for a run or a step.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    public static async Task PutDagAsync(this ServerFixture server, string id, string body, string? user = null)
    {
        using var response = await server.Http.SendJsonAsync(HttpMethod.Put, $"/api/dags/{id}", body, user);
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"PUT /api/dags/{id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>Triggers the DAG and returns the new run's id (checking the 202 and its Location).</summary>
    public static async Task<string> TriggerDagAsync(this ServerFixture server, string id, string? body = null, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/dags/{id}/trigger");
        if (body is not null)
        {
            request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        }
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }
        using var response = await server.Http.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"POST trigger: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        var runId = (await response.JsonAsync()).GetProperty("id").GetString()!;
        Assert.Equal($"/api/dag-runs/{runId}", response.Headers.Location?.ToString());
        return runId;
    }

    /// <summary>Waits (SDK long poll) for the run to finish, then reads it over REST.</summary>
    public static async Task<JsonElement> WaitForRunAsync(this ServerFixture server, string runId)
    {
        await server.Sdk.WaitForDagRunAsync(runId, Patience);
        return await server.GetRunAsync(runId);
    }

    public static async Task<JsonElement> GetRunAsync(this ServerFixture server, string runId)
    {
        using var response = await server.Http.GetAsync($"/api/dag-runs/{runId}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.JsonAsync();
    }

    /// <summary>Polls the run until <paramref name="stepId"/> is in <paramref name="state"/>; returns that step.</summary>
    public static async Task<JsonElement> WaitForStepAsync(this ServerFixture server, string runId, string stepId, string state)
    {
        var deadline = DateTimeOffset.UtcNow + Patience;
        while (true)
        {
            var step = Step(await server.GetRunAsync(runId), stepId);
            if (step.GetProperty("state").GetString() == state)
            {
                return step;
            }
            Assert.True(DateTimeOffset.UtcNow < deadline, $"step {stepId} of {runId} never became {state}: {step}");
            await Task.Delay(50);
        }
    }

    public static JsonElement Step(JsonElement run, string stepId) =>
        run.GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("id").GetString() == stepId);

    public static string StateOf(JsonElement run, string stepId) => Step(run, stepId).GetProperty("state").GetString()!;
}
