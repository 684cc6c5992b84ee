using System.Net;
using System.Net.Http.Headers;

namespace JobScheduler.Api.Tests;

/// <summary>
/// The per-user request limit (docs/security.md, "Rate limits"; issue 11): a token bucket per user or API key owner,
/// 429 with Retry-After and problem details over it, other users unaffected, health and OpenAPI never limited. Each
/// test uses users of its own, so the buckets of one test do not reach into another.
/// </summary>
public sealed class RateLimitTests(RateLimitedServer server) : IClassFixture<RateLimitedServer>
{
    private HttpClient Http => server.Http;

    [Fact]
    public async Task OverTheLimit_Answers429WithRetryAfterAndProblemDetails_AndAnotherUserIsNotAffected()
    {
        var (passed, rejected) = await ExhaustAsync("rl-over");

        Assert.True(passed >= RateLimitedServer.Burst, $"Only {passed} requests passed before the first 429; the burst is {RateLimitedServer.Burst}.");
        Assert.Equal((HttpStatusCode)429, rejected.StatusCode);
        Assert.True(int.TryParse(rejected.Headers.GetValues("Retry-After").Single(), out var seconds) && seconds >= 1, "Retry-After is a whole number of seconds, at least 1.");
        Assert.Equal("application/problem+json", rejected.Content.Headers.ContentType?.MediaType);
        var problem = await rejected.JsonAsync();
        Assert.Equal(429, problem.GetProperty("status").GetInt32());
        Assert.Equal("Too many requests.", problem.GetProperty("title").GetString());

        using var other = await Http.SendJsonAsync(HttpMethod.Get, "/api/jobs", null, user: "rl-other");
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task AfterRetryAfter_RequestsPassAgain()
    {
        var (_, rejected) = await ExhaustAsync("rl-wait");
        var seconds = int.Parse(rejected.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);

        // The limiter replenishes on its own timer (every 100 ms): a little more than Retry-After is always enough.
        await Task.Delay(TimeSpan.FromSeconds(seconds) + TimeSpan.FromMilliseconds(500));

        using var again = await Http.SendJsonAsync(HttpMethod.Get, "/api/jobs", null, user: "rl-wait");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task Health_AndOpenApi_AreNeverLimited_EvenWithTheTokenOfALimitedUser()
    {
        var token = await TokenOfAsync("rl-health");
        await ExhaustAsync("rl-health");

        for (var i = 0; i < RateLimitedServer.Burst * 3; i++)
        {
            foreach (var path in new[] { "/health/live", "/health/ready", "/openapi/v1.json" })
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, path);
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                using var response = await Http.SendAsync(request);
                Assert.True(response.StatusCode != (HttpStatusCode)429, $"{path} answered 429 on request {i + 1}.");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }
    }

    [Fact]
    public async Task AnApiKey_CountsAgainstItsOwner()
    {
        var created = await Http.SendJsonAsync(HttpMethod.Post, "/api/auth/keys", """{"name":"limited"}""", user: "rl-key");
        var key = (await created.JsonAsync()).GetProperty("key").GetString()!;
        await ExhaustAsync("rl-key");

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/jobs");
        request.Headers.Add("X-Api-Key", key);
        using var response = await Http.SendAsync(request);

        Assert.Equal((HttpStatusCode)429, response.StatusCode);
        Assert.True(response.Headers.Contains("Retry-After"));
    }

    [Fact]
    public async Task AnonymousRequests_StillAnswer401_NotCountedOrLimited()
    {
        for (var i = 0; i < RateLimitedServer.Burst * 2; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/jobs");
            request.Headers.Add("X-Api-Key", "js_not_a_key");
            using var response = await Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
    }

    /// <summary>Sends GET /api/jobs as <paramref name="user"/> until the first 429: how many passed before it, and the 429.</summary>
    private async Task<(int Passed, HttpResponseMessage Rejected)> ExhaustAsync(string user)
    {
        // Sign in first (creating the user), so that the login does not stand between the requests below; that first
        // GET /api/jobs is counted too.
        await TokenOfAsync(user);
        var passed = 1;
        for (var i = 0; i < RateLimitedServer.Burst * 3; i++)
        {
            var response = await Http.SendJsonAsync(HttpMethod.Get, "/api/jobs", null, user: user);
            if (response.StatusCode == (HttpStatusCode)429)
            {
                return (passed, response);
            }
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            response.Dispose();
            passed++;
        }
        throw new Xunit.Sdk.XunitException($"{user} sent {passed} requests without a 429.");
    }

    private async Task<string> TokenOfAsync(string user)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/jobs");
        request.Options.Set(JobScheduler.Testing.TestLogin.UserOption, user);
        // The handler signs the request in; read the token it used.
        using var response = await Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return request.Headers.Authorization!.Parameter!;
    }
}
