using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using JobScheduler.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace JobScheduler.Api.Tests;

/// <summary>
/// Every route against every kind of caller (issue 11): no token, an expired one, forged ones (another key, <c>alg:none</c>,
/// the right key with a made-up security stamp), a viewer, an operator who owns the resources, another operator, and
/// an admin. Another user's resources answer 404; a role too low answers 403; a bad token 401.
/// </summary>
public sealed class AccessMatrixTests(CommandsDisabledServer server) : IClassFixture<CommandsDisabledServer>, IAsyncLifetime
{
    private const string Owner = "matrix-owner";
    private const string Other = "matrix-other";
    private const string Viewer = "matrix-viewer";
    private const string Job = "matrix-job";
    private const string Dag = "matrix-dag";
    private const string ManualJob = """{"schedule":{"kind":"manual"},"action":{"kind":"handler","handler":"noop"}}""";
    private const string ManualDag = """{"schedule":{"kind":"manual"},"steps":[{"id":"only","action":{"kind":"handler","handler":"noop"}}]}""";

    private readonly HttpClient _anonymous = new() { BaseAddress = server.Http.BaseAddress };
    private readonly TestLogin _login = new(server.Http.BaseAddress!);
    private string _execution = "";
    private string _run = "";

    public async Task InitializeAsync()
    {
        Assert.True((await SendAsync(await _login.TokenAsync(Owner), HttpMethod.Put, $"/api/jobs/{Job}", ManualJob)).IsSuccessStatusCode);
        Assert.True((await SendAsync(await _login.TokenAsync(Owner), HttpMethod.Put, $"/api/dags/{Dag}", ManualDag)).IsSuccessStatusCode);
        _execution = (await (await SendAsync(await _login.TokenAsync(Owner), HttpMethod.Post, $"/api/jobs/{Job}/trigger", null)).JsonAsync()).GetProperty("id").GetString()!;
        _run = (await (await SendAsync(await _login.TokenAsync(Owner), HttpMethod.Post, $"/api/dags/{Dag}/trigger", null)).JsonAsync()).GetProperty("id").GetString()!;
        await _login.TokenAsync(Other);
        await _login.TokenAsync(Viewer, "viewer");
    }

    public Task DisposeAsync()
    {
        _anonymous.Dispose();
        _login.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>One route and what each caller gets: viewer, other operator, owning operator, admin. 0 = any 2xx or 409.</summary>
    private sealed record Route(string Method, string Path, string? Body, int Viewer, int Other, int Owner, int Admin);

    private IEnumerable<Route> Routes() =>
    [
        new("GET", $"/api/jobs/{Job}", null, 404, 404, 200, 200),
        new("PUT", $"/api/jobs/{Job}", ManualJob, 403, 404, 200, 200),
        new("POST", $"/api/jobs/{Job}/pause", null, 403, 404, 200, 200),
        new("POST", $"/api/jobs/{Job}/resume", null, 403, 404, 200, 200),
        new("POST", $"/api/jobs/{Job}/trigger", null, 403, 404, 202, 202),
        new("GET", $"/api/jobs/{Job}/executions", null, 404, 404, 200, 200),
        new("GET", "/api/jobs", null, 200, 200, 200, 200),
        new("POST", "/api/jobs", ManualJob, 403, 201, 201, 201),
        new("POST", "/api/jobs/batch", $$"""{"jobs":[{"id":"{{Job}}",{{ManualJob[1..]}}]}""", 403, 200, 200, 200),
        new("GET", $"/api/executions/{_execution}", null, 404, 404, 200, 200),
        new("POST", $"/api/executions/{_execution}/cancel", null, 403, 404, 200, 200),
        new("GET", $"/api/dags/{Dag}", null, 404, 404, 200, 200),
        new("PUT", $"/api/dags/{Dag}", ManualDag, 403, 404, 200, 200),
        new("POST", $"/api/dags/{Dag}/pause", null, 403, 404, 200, 200),
        new("POST", $"/api/dags/{Dag}/resume", null, 403, 404, 200, 200),
        new("POST", $"/api/dags/{Dag}/trigger", null, 403, 404, 202, 202),
        new("GET", $"/api/dags/{Dag}/runs", null, 404, 404, 200, 200),
        new("GET", "/api/dags", null, 200, 200, 200, 200),
        new("GET", $"/api/dag-runs/{_run}", null, 404, 404, 200, 200),
        new("POST", $"/api/dag-runs/{_run}/cancel", null, 403, 404, 200, 200),
        new("POST", $"/api/dag-runs/{_run}/retry", null, 403, 404, 0, 0),
        new("GET", "/api/nodes", null, 403, 403, 403, 200),
        new("PUT", "/api/nodes/127.0.0.1:1", """{"state":"draining"}""", 403, 403, 403, 404),
        new("GET", "/api/stats", null, 403, 403, 403, 200),
        new("GET", "/api/users", null, 403, 403, 403, 200),
        new("POST", "/api/users", """{"username":"matrix-made","password":"long-enough-1","role":"viewer"}""", 403, 403, 403, 201),
        new("DELETE", "/api/users/matrix-nobody", null, 403, 403, 403, 404),
        new("GET", "/api/audit", null, 403, 403, 403, 200),
        new("GET", "/api/auth/keys", null, 200, 200, 200, 200),
        new("POST", "/api/auth/keys", """{"name":"matrix"}""", 201, 201, 201, 201),
        new("DELETE", "/api/auth/keys/absent", null, 404, 404, 404, 404),
        new("GET", "/api/auth/me", null, 200, 200, 200, 200),
        // The web UI's browser session (the Orleans dashboard's cookie): any person's bearer token buys one.
        new("POST", "/ui/session", null, 204, 204, 204, 204),
    ];

    [Fact]
    public async Task EveryRoute_AnswersEachCallerAsItsRoleAndOwnershipAllow()
    {
        var failures = new List<string>();
        var bad = new (string Name, string? Token)[]
        {
            ("no token", null),
            ("expired", Token(TestLogin.SigningKey, expires: DateTime.UtcNow.AddMinutes(-2))),
            ("other key", Token("another-signing-key-of-at-least-32-bytes")),
            ("alg none", UnsignedToken()),
            ("made-up stamp", Token(TestLogin.SigningKey, stamp: "not-the-admins-stamp")),
            ("garbage", "not.a.token"),
        };
        // Callers that must change nothing go first; the owner and admin last.
        var callers = new (string Name, Func<Route, int> Expected, string Token)[]
        {
            ("viewer", r => r.Viewer, await _login.TokenAsync(Viewer, "viewer")),
            ("other operator", r => r.Other, await _login.TokenAsync(Other)),
            ("owner", r => r.Owner, await _login.TokenAsync(Owner)),
            ("admin", r => r.Admin, await _login.TokenAsync(TestLogin.Admin)),
        };
        foreach (var route in Routes())
        {
            foreach (var (name, token) in bad)
            {
                using var response = await SendAsync(token, new HttpMethod(route.Method), route.Path, route.Body);
                Check(failures, route, name, 401, response);
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            }
            foreach (var (name, expected, token) in callers)
            {
                using var response = await SendAsync(token, new HttpMethod(route.Method), route.Path, route.Body);
                Check(failures, route, name, expected(route), response);
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task AnotherOperator_CannotReplaceOrDeleteAJob_AndNothingChanges()
    {
        var owner = await _login.TokenAsync(Owner);
        var other = await _login.TokenAsync(Other);
        const string id = "matrix-kept";
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(owner, HttpMethod.Put, $"/api/jobs/{id}", ManualJob)).StatusCode);
        var before = await (await SendAsync(owner, HttpMethod.Get, $"/api/jobs/{id}", null)).Content.ReadAsStringAsync();

        var hostile = """{"schedule":{"kind":"cron","expression":"* * * * *"},"action":{"kind":"http","url":"https://example.com/"}}""";
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(other, HttpMethod.Put, $"/api/jobs/{id}", hostile)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(other, HttpMethod.Delete, $"/api/jobs/{id}", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(other, HttpMethod.Post, $"/api/jobs/{id}/pause", null)).StatusCode);
        var batch = await (await SendAsync(other, HttpMethod.Post, "/api/jobs/batch", $$"""{"jobs":[{"id":"{{id}}",{{hostile[1..]}}]}""")).JsonAsync();
        Assert.Equal(404, batch.GetProperty("results")[0].GetProperty("status").GetInt32());

        Assert.Equal(before, await (await SendAsync(owner, HttpMethod.Get, $"/api/jobs/{id}", null)).Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(owner, HttpMethod.Delete, $"/api/jobs/{id}", null)).StatusCode);
    }

    [Fact]
    public async Task Lists_ShowOnlyTheCallersOwn_AndAdminsSeeAllAndFilterByOwner()
    {
        var other = await _login.TokenAsync(Other);
        Assert.True((await SendAsync(other, HttpMethod.Put, "/api/jobs/matrix-others-job", ManualJob)).IsSuccessStatusCode);
        Assert.True((await SendAsync(other, HttpMethod.Put, "/api/dags/matrix-others-dag", ManualDag)).IsSuccessStatusCode);

        async Task<string[]> OwnersAsync(string token, string path) =>
            [.. (await (await SendAsync(token, HttpMethod.Get, path, null)).JsonAsync()).GetProperty("items").EnumerateArray().Select(j => j.GetProperty("owner").GetString()!).Distinct()];

        Assert.Equal([Other], await OwnersAsync(other, "/api/jobs?limit=500"));
        // Asking for someone else's changes nothing for a non-admin.
        Assert.Equal([Other], await OwnersAsync(other, $"/api/jobs?owner={Owner}&limit=500"));
        Assert.Equal([Other], await OwnersAsync(other, "/api/dags?limit=500"));
        Assert.Empty(await OwnersAsync(await _login.TokenAsync(Viewer, "viewer"), "/api/jobs?limit=500"));
        var admin = await _login.TokenAsync(TestLogin.Admin);
        Assert.Contains(Owner, await OwnersAsync(admin, "/api/jobs?limit=500"));
        Assert.Contains(Other, await OwnersAsync(admin, "/api/jobs?limit=500"));
        Assert.Equal([Owner], await OwnersAsync(admin, $"/api/jobs?owner={Owner}&limit=500"));
    }

    private static void Check(List<string> failures, Route route, string caller, int expected, HttpResponseMessage response)
    {
        var status = (int)response.StatusCode;
        var ok = expected == 0 ? status is (>= 200 and < 300) or 409 : status == expected;
        if (!ok)
        {
            failures.Add($"{route.Method} {route.Path} as {caller}: expected {(expected == 0 ? "2xx/409" : expected)}, got {status}");
        }
    }

    private async Task<HttpResponseMessage> SendAsync(string? token, HttpMethod method, string path, string? body)
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return await _anonymous.SendAsync(request);
    }

    /// <summary>A token for admin as the server would issue it, but signed with <paramref name="key"/>, expiring when asked, with <paramref name="stamp"/>.</summary>
    internal static string Token(string key, DateTime? expires = null, string stamp = "any")
    {
        var end = expires ?? DateTime.UtcNow.AddMinutes(10);
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "JobScheduler",
            Audience = "JobScheduler",
            IssuedAt = end.AddMinutes(-15),
            NotBefore = end.AddMinutes(-15),
            Expires = end,
            Subject = new ClaimsIdentity([new Claim("sub", TestLogin.Admin), new Claim("role", "admin"), new Claim("stamp", stamp)]),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(key)), SecurityAlgorithms.HmacSha256),
        });
    }

    /// <summary>An admin token with <c>"alg":"none"</c> and no signature.</summary>
    private static string UnsignedToken()
    {
        static string Part(string json) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(json));
        var exp = DateTimeOffset.UtcNow.AddMinutes(10).ToUnixTimeSeconds();
        return $$"""{{Part("""{"alg":"none","typ":"JWT"}""")}}.{{Part($$"""{"sub":"admin","role":"admin","iss":"JobScheduler","aud":"JobScheduler","exp":{{exp}}}""")}}.""";
    }
}
