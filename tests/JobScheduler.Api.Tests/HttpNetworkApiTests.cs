using System.Net;
using System.Text.Json;
using JobScheduler.Client;

namespace JobScheduler.Api.Tests;

/// <summary>
/// With the product defaults an http action may not reach loopback, link-local (the cloud metadata service), private
/// or unique-local addresses: a URL whose host is such an IP literal, or <c>localhost</c>, is refused when submitted,
/// naming the field. (Names that need DNS are checked when the action connects: see the grain tests.)
/// </summary>
public sealed class HttpNetworkApiTests(CommandsDisabledServer server) : IClassFixture<CommandsDisabledServer>
{
    private const string AllowKey = "JobScheduler:Actions:Http:AllowedNetworks";

    private static string HttpJob(string url) =>
        JsonSerializer.Serialize(new { schedule = new { kind = "manual" }, action = new { kind = "http", method = "GET", url } });

    [Theory]
    [InlineData("loopback", "http://127.0.0.1:5080/api/jobs", "127.0.0.0/8")]
    [InlineData("metadata", "http://169.254.169.254/latest/meta-data/iam/security-credentials/", "169.254.0.0/16")]
    [InlineData("decimal-loopback", "http://2130706433:5080/", "127.0.0.0/8")]
    [InlineData("ipv6-metadata", "http://[fd00:ec2::254]/latest/meta-data/", "fc00::/7")]
    [InlineData("mapped-private", "http://[::ffff:10.0.0.1]/", "10.0.0.0/8")]
    [InlineData("localhost", "http://localhost.:5080/api/jobs", "127.0.0.0/8")]
    public async Task HttpJobToAnInternalAddress_IsRefused_NamingActionUrl(string id, string url, string network)
    {
        var response = await server.Http.SendJsonAsync(HttpMethod.Put, $"/api/jobs/ssrf-{id}", HttpJob(url));
        var problem = await response.JsonAsync();

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var message = problem.GetProperty("errors").GetProperty("action.url")[0].GetString();
        Assert.Contains($"({network})", message);
        Assert.Contains(AllowKey, message);
        Assert.Equal(HttpStatusCode.NotFound, (await server.Http.GetAsync($"/api/jobs/ssrf-{id}")).StatusCode);
    }

    [Fact]
    public async Task HttpJobToAPublicName_IsAccepted()
    {
        var response = await server.Http.SendJsonAsync(HttpMethod.Put, "/api/jobs/public-hook", HttpJob("https://hooks.example.com/run"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task DagHttpStepToTheMetadataAddress_IsRefused_NamingTheStep()
    {
        var response = await server.Http.SendJsonAsync(HttpMethod.Put, "/api/dags/ssrf-dag",
            """{"steps":[{"id":"a","action":{"kind":"handler","handler":"noop"}},{"id":"b","action":{"kind":"http","url":"http://169.254.169.254/latest/meta-data/"},"dependsOn":["a"]}]}""");
        var problem = await response.JsonAsync();

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("169.254.0.0/16", problem.GetProperty("errors").GetProperty("steps[1].action.url")[0].GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await server.Http.GetAsync("/api/dags/ssrf-dag")).StatusCode);
    }

    [Fact]
    public async Task TriggerOverrideToLoopback_IsRefused_NamingActionUrl()
    {
        await server.Http.SendJsonAsync(HttpMethod.Put, "/api/jobs/ssrf-trigger", """{"schedule":{"kind":"manual"},"action":{"kind":"handler","handler":"noop"}}""");

        var response = await server.Http.SendJsonAsync(HttpMethod.Post, "/api/jobs/ssrf-trigger/trigger", """{"action":{"kind":"http","url":"http://127.0.0.1:5080/"}}""");
        var problem = await response.JsonAsync();

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("127.0.0.0/8", problem.GetProperty("errors").GetProperty("action.url")[0].GetString());
    }

    [Fact]
    public async Task SdkHttpJobToTheMetadataAddress_ThrowsNamingActionUrl()
    {
        var error = await Assert.ThrowsAsync<JobValidationException>(() => server.Sdk.ScheduleAsync("sdk-ssrf", new JobSpec
        {
            Schedule = ScheduleSpec.Manual(),
            Action = ActionSpec.HttpRequest("http://169.254.169.254/latest/meta-data/"),
        }));

        Assert.Equal("action.url", Assert.Single(error.Errors).Field);
    }
}
