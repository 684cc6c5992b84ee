using System.Net;

namespace JobScheduler.Api.Tests;

/// <summary>A server that has not opted in to command actions refuses them with a clear error.</summary>
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
}
