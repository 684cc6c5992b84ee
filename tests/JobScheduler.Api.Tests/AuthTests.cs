using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using JobScheduler.Testing;

namespace JobScheduler.Api.Tests;

/// <summary>Logging in, API keys, users and the login limit (SPEC §10, docs/security.md "Users, tokens and API keys").</summary>
public sealed class AuthTests(CommandsDisabledServer server) : IClassFixture<CommandsDisabledServer>, IDisposable
{
    private readonly HttpClient _anonymous = new() { BaseAddress = server.Http.BaseAddress };
    private readonly TestLogin _login = new(server.Http.BaseAddress!);

    public void Dispose()
    {
        _anonymous.Dispose();
        _login.Dispose();
    }

    [Fact]
    public async Task Login_GivesAShortLivedBearerToken_ThatTheApiAccepts()
    {
        using var response = await _anonymous.PostAsJsonAsync("/api/auth/token", new { username = TestLogin.Admin, password = TestLogin.AdminPassword });
        var body = await response.JsonAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var expiresAt = body.GetProperty("expiresAt").GetDateTimeOffset();
        Assert.InRange(expiresAt - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(14), TimeSpan.FromMinutes(16));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/jobs");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", body.GetProperty("accessToken").GetString());
        Assert.Equal(HttpStatusCode.OK, (await _anonymous.SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task Login_WithAnUnknownUserOrAWrongPassword_GetsTheSameAnswer()
    {
        using var unknown = await _anonymous.PostAsJsonAsync("/api/auth/token", new { username = "nobody-at-all", password = "whatever-1" });
        using var wrong = await _anonymous.PostAsJsonAsync("/api/auth/token", new { username = TestLogin.Admin, password = "not-the-password" });

        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal((await unknown.JsonAsync()).GetProperty("title").GetString(), (await wrong.JsonAsync()).GetProperty("title").GetString());
    }

    [Fact]
    public async Task Login_RepeatedForOneUsername_Answers429WithRetryAfter()
    {
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 7; i++)
        {
            var response = await _anonymous.PostAsJsonAsync("/api/auth/token", new { username = "guessed-user", password = $"guess-{i}-guess" });
            statuses.Add(response.StatusCode);
            limited = response.StatusCode == HttpStatusCode.TooManyRequests ? response : limited;
        }

        // The default: 5 attempts per username a minute.
        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.Unauthorized, 5), HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
        Assert.NotNull(limited!.Headers.RetryAfter?.Delta);
        Assert.InRange(limited.Headers.RetryAfter!.Delta!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task ApiKey_IsShownOnce_Authenticates_IsListedWithItsLastUse_AndFailsOnceRevoked()
    {
        using var created = await server.Http.SendJsonAsync(HttpMethod.Post, "/api/auth/keys", """{"name":"ci"}""", user: "key-owner");
        var body = await created.JsonAsync();
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = body.GetProperty("id").GetString()!;
        var key = body.GetProperty("key").GetString()!;
        Assert.StartsWith($"js_{id}_", key, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.Created, (await WithKeyAsync(key, HttpMethod.Put, "/api/jobs/keyed-job", """{"schedule":{"kind":"manual"},"action":{"kind":"handler","handler":"noop"}}""")).StatusCode);
        var job = await (await WithKeyAsync(key, HttpMethod.Get, "/api/jobs/keyed-job")).JsonAsync();
        Assert.Equal("key-owner", job.GetProperty("owner").GetString());

        var listed = await (await server.Http.SendJsonAsync(HttpMethod.Get, "/api/auth/keys", null, user: "key-owner")).JsonAsync();
        var item = Assert.Single(listed.GetProperty("items").EnumerateArray());
        Assert.Equal(id, item.GetProperty("id").GetString());
        Assert.Equal("ci", item.GetProperty("name").GetString());
        Assert.NotEqual(JsonValueKind.Null, item.GetProperty("lastUsedAt").ValueKind);
        Assert.False(item.TryGetProperty("key", out _));
        Assert.DoesNotContain(key.Split('_')[^1], listed.GetRawText(), StringComparison.Ordinal);

        // Someone else cannot revoke it; its owner can, and then it fails at once.
        Assert.Equal(HttpStatusCode.NotFound, (await server.Http.SendJsonAsync(HttpMethod.Delete, $"/api/auth/keys/{id}", null, user: "key-thief")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await server.Http.SendJsonAsync(HttpMethod.Delete, $"/api/auth/keys/{id}", null, user: "key-owner")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await WithKeyAsync(key, HttpMethod.Get, "/api/jobs/keyed-job")).StatusCode);
    }

    [Theory]
    [InlineData("js_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("not-a-key")]
    [InlineData("js__")]
    public async Task ApiKey_ThatIsNotOne_Answers401(string key) =>
        Assert.Equal(HttpStatusCode.Unauthorized, (await WithKeyAsync(key, HttpMethod.Get, "/api/jobs")).StatusCode);

    [Fact]
    public async Task ApiKey_WithATamperedSecret_Answers401()
    {
        var key = (await (await server.Http.SendJsonAsync(HttpMethod.Post, "/api/auth/keys", """{"name":"tamper"}""", user: "key-tamper")).JsonAsync()).GetProperty("key").GetString()!;
        var tampered = key[..^1] + (key[^1] == 'A' ? 'B' : 'A');

        Assert.Equal(HttpStatusCode.OK, (await WithKeyAsync(key, HttpMethod.Get, "/api/jobs")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await WithKeyAsync(tampered, HttpMethod.Get, "/api/jobs")).StatusCode);
    }

    [Fact]
    public async Task DeletedUser_TokensAndKeysStopWorking()
    {
        var token = await _login.TokenAsync("soon-gone");
        var key = (await (await server.Http.SendJsonAsync(HttpMethod.Post, "/api/auth/keys", """{"name":"k"}""", user: "soon-gone")).JsonAsync()).GetProperty("key").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await WithTokenAsync(token, HttpMethod.Get, "/api/jobs")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await server.Http.DeleteAsync("/api/users/soon-gone")).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await WithTokenAsync(token, HttpMethod.Get, "/api/jobs")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await WithKeyAsync(key, HttpMethod.Get, "/api/jobs")).StatusCode);
    }

    [Fact]
    public async Task Users_AreCreatedByAdmins_NeverShowTheirPassword_AndBadInputNamesTheField()
    {
        using var created = await server.Http.SendJsonAsync(HttpMethod.Post, "/api/users", """{"username":"new-viewer","password":"a-long-password","role":"viewer"}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await server.Http.SendJsonAsync(HttpMethod.Post, "/api/users", """{"username":"new-viewer","password":"a-long-password","role":"viewer"}""")).StatusCode);
        var list = await (await server.Http.GetAsync("/api/users")).Content.ReadAsStringAsync();
        Assert.Contains("\"new-viewer\"", list, StringComparison.Ordinal);
        Assert.DoesNotContain("a-long-password", list, StringComparison.Ordinal);
        Assert.DoesNotContain("AQAAAA", list, StringComparison.Ordinal);

        using var bad = await server.Http.SendJsonAsync(HttpMethod.Post, "/api/users", """{"username":"bad name","password":"short","role":"root"}""");
        var errors = (await bad.JsonAsync()).GetProperty("errors");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        Assert.True(errors.TryGetProperty("username", out _));
        Assert.True(errors.TryGetProperty("password", out _));
        Assert.True(errors.TryGetProperty("role", out _));

        // The admin cannot delete themselves (there would be no admin left to create users).
        Assert.Equal(HttpStatusCode.Conflict, (await server.Http.DeleteAsync($"/api/users/{TestLogin.Admin}")).StatusCode);
    }

    [Fact]
    public async Task HealthAndOpenApi_NeedNoToken()
    {
        Assert.Equal(HttpStatusCode.OK, (await _anonymous.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _anonymous.GetAsync("/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _anonymous.GetAsync("/openapi/v1.json")).StatusCode);
    }

    [Fact]
    public async Task OpenApiDocument_SaysEveryOperationTakesABearerTokenOrAnApiKey()
    {
        var document = await (await _anonymous.GetAsync("/openapi/v1.json")).JsonAsync();

        var schemes = document.GetProperty("components").GetProperty("securitySchemes");
        Assert.Equal("bearer", schemes.GetProperty("bearer").GetProperty("scheme").GetString());
        Assert.Equal("header", schemes.GetProperty("apiKey").GetProperty("in").GetString());
        Assert.Equal("X-Api-Key", schemes.GetProperty("apiKey").GetProperty("name").GetString());
        var alternatives = document.GetProperty("security").EnumerateArray().Select(r => r.EnumerateObject().Single().Name).ToArray();
        Assert.Equal(["bearer", "apiKey"], alternatives);
    }

    private async Task<HttpResponseMessage> WithKeyAsync(string key, HttpMethod method, string path, string? json = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        }
        request.Headers.Add("X-Api-Key", key);
        return await _anonymous.SendAsync(request);
    }

    private async Task<HttpResponseMessage> WithTokenAsync(string token, HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await _anonymous.SendAsync(request);
    }
}
