using System.Net;
using System.Net.Http.Headers;
using JobScheduler.Testing;

namespace JobScheduler.Api.Tests;

/// <summary>
/// The web UI's browser session (docs/ui.md): a bearer token buys an HttpOnly, SameSite=Strict cookie that opens the
/// Orleans dashboard to admins only, and that the REST API never accepts.
/// </summary>
public sealed class UiSessionTests(CommandsDisabledServer server) : IClassFixture<CommandsDisabledServer>
{
    /// <summary>
    /// An admin of its own: the fixture's server is shared, and logging "admin" in once more per test would reach the
    /// per-user login limit (5 a minute) that the other classes' logins already use.
    /// </summary>
    private const string Admin = "ui-session-admin";

    [Fact]
    public async Task Session_SetsAnHttpOnlyStrictCookie_ThatOpensTheDashboardToAnAdmin_ButNotTheApi()
    {
        using var browser = Browser(out _);
        using var session = await StartSessionAsync(browser, await TokenAsync(Admin, "admin"));

        Assert.Equal(HttpStatusCode.NoContent, session.StatusCode);
        var cookie = Assert.Single(session.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("jobscheduler-ui=", cookie, StringComparison.Ordinal);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/orleans/")).StatusCode);
        // A cross-site form would carry the cookie and nothing else: the API answers 401.
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/api/jobs")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.PostAsync("/api/jobs", new StringContent("{}"))).StatusCode);
    }

    [Fact]
    public async Task Dashboard_SendsAStrangerToTheLoginPage_AndRefusesAnOperatorAndAViewer()
    {
        using var stranger = Browser(out _);
        using var anonymous = await stranger.GetAsync("/orleans/");
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        Assert.Equal("/?ReturnUrl=%2Forleans%2F", anonymous.Headers.Location!.PathAndQuery);

        foreach (var (user, role) in new[] { ("ui-session-operator", "operator"), ("ui-session-viewer", "viewer") })
        {
            using var browser = Browser(out _);
            using var session = await StartSessionAsync(browser, await TokenAsync(user, role));
            Assert.Equal(HttpStatusCode.NoContent, session.StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await browser.GetAsync("/orleans/")).StatusCode);
        }
    }

    [Fact]
    public async Task Session_IsNotForApiKeys_NorForTheCookieItself()
    {
        using var created = await server.Http.SendJsonAsync(HttpMethod.Post, "/api/auth/keys", """{"name":"ui-session"}""");
        var key = (await created.JsonAsync()).GetProperty("key").GetString()!;
        using var browser = Browser(out _);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/ui/session");
        request.Headers.Add("X-Api-Key", key);
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.SendAsync(request)).StatusCode);

        using var admin = Browser(out _);
        (await StartSessionAsync(admin, await TokenAsync(Admin, "admin"))).Dispose();
        Assert.Equal(HttpStatusCode.Unauthorized, (await admin.PostAsync("/ui/session", null)).StatusCode);
    }

    [Fact]
    public async Task Logout_EndsTheSession()
    {
        using var browser = Browser(out var cookies);
        (await StartSessionAsync(browser, await TokenAsync(Admin, "admin"))).Dispose();
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/orleans/")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await browser.DeleteAsync("/ui/session")).StatusCode);
        Assert.Empty(cookies.GetCookies(server.Http.BaseAddress!));
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/orleans/")).StatusCode);
    }

    [Fact]
    public async Task Pages_CarryAStrictContentSecurityPolicy_AndOnlyEmbeddedFilesAreServed()
    {
        using var anonymous = Browser(out _);
        using var page = await anonymous.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var policy = string.Join(";", page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", policy, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/ui/app.js")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync("/ui/appsettings.json")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync("/ui/%2e%2e%2fappsettings.json")).StatusCode);
    }

    /// <summary>A client that keeps cookies and does not follow redirects, as a browser tab seen from the server.</summary>
    private HttpClient Browser(out CookieContainer cookies)
    {
        cookies = new CookieContainer();
        return new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = server.Http.BaseAddress };
    }

    /// <summary>A bearer token for <paramref name="user"/>, created with <paramref name="role"/> by the fixture's admin client (whose token is cached).</summary>
    private async Task<string> TokenAsync(string user, string role)
    {
        using var created = await server.Http.SendJsonAsync(HttpMethod.Post, "/api/users",
            $$"""{"username":"{{user}}","password":"{{TestLogin.UserPassword}}","role":"{{role}}"}""");
        Assert.True(created.IsSuccessStatusCode || created.StatusCode == HttpStatusCode.Conflict, $"creating {user}: {(int)created.StatusCode}");
        using var anonymous = new HttpClient { BaseAddress = server.Http.BaseAddress };
        using var login = await anonymous.PostAsync("/api/auth/token", new StringContent(
            $$"""{"username":"{{user}}","password":"{{TestLogin.UserPassword}}"}""", System.Text.Encoding.UTF8, "application/json"));
        return (await login.JsonAsync()).GetProperty("accessToken").GetString()!;
    }

    private static async Task<HttpResponseMessage> StartSessionAsync(HttpClient browser, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/ui/session");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await browser.SendAsync(request);
    }
}
