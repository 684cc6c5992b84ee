using System.Net;
using System.Text.Json;

namespace JobScheduler.Api.Tests;

/// <summary>
/// A server that has not opted in to command actions refuses them with a clear error. It keeps everything in memory
/// (<c>JobScheduler:Storage=Memory</c>), which it says, and otherwise works as the durable stores do.
/// </summary>
public sealed class CommandsDisabledTests(CommandsDisabledServer server) : IClassFixture<CommandsDisabledServer>
{
    [Fact]
    public async Task CommandAction_IsRefused_WithAnErrorSayingHowToEnableIt()
    {
        var response = await server.Http.SendJsonAsync(HttpMethod.Put, "/api/jobs/rce",
            """{"schedule":{"kind":"manual"},"action":{"kind":"command","command":"rm","args":["-rf","/"]}}""");
        var problem = await response.JsonAsync();

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var message = problem.GetProperty("errors").GetProperty("action.kind")[0].GetString();
        Assert.Contains("JobScheduler:Actions:Command:Enabled", message);
        Assert.Equal(HttpStatusCode.NotFound, (await server.Http.GetAsync("/api/jobs/rce")).StatusCode);
    }

    [Fact]
    public async Task TriggerOverrideWithACommand_IsRefusedToo()
    {
        await server.Http.SendJsonAsync(HttpMethod.Put, "/api/jobs/safe", """{"schedule":{"kind":"manual"},"action":{"kind":"handler","handler":"noop"}}""");

        var response = await server.Http.SendJsonAsync(HttpMethod.Post, "/api/jobs/safe/trigger", """{"action":{"kind":"command","command":"id"}}""");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
    }

    [Fact]
    public async Task DagWithACommandStep_IsRefusedNamingTheStep()
    {
        var response = await server.Http.SendJsonAsync(HttpMethod.Put, "/api/dags/rce-dag",
            """{"steps":[{"id":"safe","action":{"kind":"handler","handler":"noop"}},{"id":"rce","action":{"kind":"command","command":"id"},"dependsOn":["safe"]}]}""");
        var problem = await response.JsonAsync();

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("JobScheduler:Actions:Command:Enabled", problem.GetProperty("errors").GetProperty("steps[1].action.kind")[0].GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await server.Http.GetAsync("/api/dags/rce-dag")).StatusCode);
    }

    [Fact]
    public async Task MemoryStorage_RunsDagsAsTheDurableStoresDo()
    {
        await server.Http.SendJsonAsync(HttpMethod.Put, "/api/dags/in-memory-dag",
            """{"steps":[{"id":"a","action":{"kind":"handler","handler":"noop"}},{"id":"b","action":{"kind":"handler","handler":"sleep","payload":{"ms":10}},"dependsOn":["a"]}]}""");
        var runId = (await (await server.Http.SendJsonAsync(HttpMethod.Post, "/api/dags/in-memory-dag/trigger", null)).JsonAsync()).GetProperty("id").GetString()!;

        var run = await server.Sdk.WaitForDagRunAsync(runId, TimeSpan.FromSeconds(30));

        Assert.Equal(DagRunState.Succeeded, run.State);
        Assert.Equal("slept 10 ms\n", (await server.Sdk.GetExecutionAsync(run.Steps[1].ExecutionId!))!.Attempts.Single().Output);
        var runs = await (await server.Http.GetAsync("/api/dags/in-memory-dag/runs")).JsonAsync();
        Assert.Equal(runId, runs.GetProperty("items")[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task MemoryStorage_SaysItIsNotDurable_AndRunsJobsAsTheDurableStoresDo()
    {
        var health = await (await server.Http.GetAsync("/health/ready")).JsonAsync();
        Assert.Equal("memory", health.GetProperty("storage").GetString());
        Assert.False(health.GetProperty("durable").GetBoolean());
        Assert.Contains("lost when this process stops", health.GetProperty("warning").GetString());
        Assert.False(File.Exists(server.DatabasePath));

        await server.Http.SendJsonAsync(HttpMethod.Put, "/api/jobs/in-memory", """{"schedule":{"kind":"manual"},"action":{"kind":"handler","handler":"sleep","payload":{"ms":10}}}""");
        var id = (await (await server.Http.SendJsonAsync(HttpMethod.Post, "/api/jobs/in-memory/trigger", null)).JsonAsync()).GetProperty("id").GetString()!;
        var done = await server.Sdk.WaitForCompletionAsync(id);

        Assert.Equal(ExecutionState.Succeeded, done.State);
        Assert.Equal("slept 10 ms\n", done.Attempts.Single().Output);
        var listed = await (await server.Http.GetAsync("/api/jobs/in-memory/executions")).JsonAsync();
        Assert.Equal(id, listed.GetProperty("items")[0].GetProperty("id").GetString());
        Assert.Equal(JsonValueKind.Undefined, listed.GetProperty("items")[0].GetProperty("attempts")[0].TryGetProperty("output", out var output) ? output.ValueKind : JsonValueKind.Undefined);
    }
}
