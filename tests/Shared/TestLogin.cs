using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace JobScheduler.Testing;

/// <summary>
/// Signs a test's HTTP requests in: each request without an <c>Authorization</c> or <c>X-Api-Key</c> header gets a
/// bearer token for the user named by <see cref="UserOption"/> (default <see cref="Admin"/>, the server's first user,
/// whose password the fixtures configure as <see cref="AdminPassword"/>). Other users are created on first use with the
/// role <see cref="RoleOption"/> names (default operator). Tokens are cached and renewed before they expire.
/// </summary>
public sealed class TestLogin(Uri baseAddress) : DelegatingHandler(new SocketsHttpHandler())
{
    public const string Admin = "admin";

    /// <summary>What the fixtures give as <c>JobScheduler:Auth:BootstrapAdminPassword</c>.</summary>
    public const string AdminPassword = "test-admin-password";

    /// <summary>Every test user other than admin has this password.</summary>
    public const string UserPassword = "test-user-password";

    /// <summary>What the fixtures give as <c>JobScheduler:Auth:SigningKey</c>, so tests can forge and expire tokens.</summary>
    public const string SigningKey = "test-signing-key-of-at-least-32-bytes!";

    public static readonly HttpRequestOptionsKey<string> UserOption = new("jobscheduler-test-user");

    public static readonly HttpRequestOptionsKey<string> RoleOption = new("jobscheduler-test-role");

    /// <summary>The server arguments every test server gets: the admin's password, a known signing key, and a login limit per address that tests never reach.</summary>
    public static readonly string[] ServerArgs =
    [
        $"--JobScheduler:Auth:BootstrapAdminPassword={AdminPassword}",
        $"--JobScheduler:Auth:SigningKey={SigningKey}",
        "--JobScheduler:Auth:LoginAttemptsPerAddress=100000",
    ];

    private static readonly ConcurrentDictionary<Uri, TestLogin> KeyMakers = new();

    private readonly ConcurrentDictionary<string, (string Token, DateTimeOffset ExpiresAt)> _tokens = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly HttpClient _auth = new() { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>An HTTP client for <paramref name="baseAddress"/> whose requests are signed in.</summary>
    public static HttpClient Client(Uri baseAddress, TimeSpan? timeout = null) =>
        new(new TestLogin(baseAddress)) { BaseAddress = baseAddress, Timeout = timeout ?? TimeSpan.FromSeconds(100) };

    /// <summary>A bearer token for <paramref name="user"/>, created with <paramref name="role"/> when it does not exist.</summary>
    public async Task<string> TokenAsync(string user, string role = "operator", CancellationToken cancellationToken = default)
    {
        if (_tokens.TryGetValue(user, out var cached) && cached.ExpiresAt > DateTimeOffset.UtcNow.AddMinutes(1))
        {
            return cached.Token;
        }
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (user != Admin)
            {
                using var create = new HttpRequestMessage(HttpMethod.Post, "/api/users")
                {
                    Content = JsonContent.Create(new { username = user, password = UserPassword, role }),
                };
                create.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await LoginAsync(Admin, AdminPassword, cancellationToken));
                using var created = await _auth.SendAsync(create, cancellationToken);
                if (!created.IsSuccessStatusCode && created.StatusCode != HttpStatusCode.Conflict)
                {
                    throw new InvalidOperationException($"Creating test user {user} answered {(int)created.StatusCode}: {await created.Content.ReadAsStringAsync(cancellationToken)}");
                }
            }
            return await LoginAsync(user, user == Admin ? AdminPassword : UserPassword, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// A new API key of <paramref name="user"/> (created with <paramref name="role"/> when it does not exist), for an SDK
    /// client: what the client creates belongs to that user.
    /// </summary>
    public static async Task<string> ApiKeyAsync(Uri baseAddress, string user, string role = "operator", CancellationToken cancellationToken = default)
    {
        // One login per server: its tokens are reused, as logins per user are throttled.
        var login = KeyMakers.GetOrAdd(baseAddress, address => new TestLogin(address));
        var token = await login.TokenAsync(user, role, cancellationToken);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/auth/keys") { Content = JsonContent.Create(new { name = "sdk" }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await login._auth.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Creating an API key for {user} answered {(int)response.StatusCode}: {text}");
        }
        using var document = JsonDocument.Parse(text);
        return document.RootElement.GetProperty("key").GetString()!;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri?.IsAbsoluteUri == true ? request.RequestUri.AbsolutePath : request.RequestUri?.OriginalString ?? "";
        if (request.Headers.Authorization is null && !request.Headers.Contains("X-Api-Key") && path.StartsWith("/api/", StringComparison.Ordinal) && path != "/api/auth/token")
        {
            var user = request.Options.TryGetValue(UserOption, out var named) ? named : Admin;
            var role = request.Options.TryGetValue(RoleOption, out var given) ? given : "operator";
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(user, role, cancellationToken));
        }
        return await base.SendAsync(request, cancellationToken);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _auth.Dispose();
            _gate.Dispose();
        }
        base.Dispose(disposing);
    }

    private async Task<string> LoginAsync(string user, string password, CancellationToken cancellationToken)
    {
        if (_tokens.TryGetValue(user, out var cached) && cached.ExpiresAt > DateTimeOffset.UtcNow.AddMinutes(1))
        {
            return cached.Token;
        }
        using var response = await _auth.PostAsJsonAsync("/api/auth/token", new { username = user, password }, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Logging in as {user} answered {(int)response.StatusCode}: {text}");
        }
        using var document = JsonDocument.Parse(text);
        var token = document.RootElement.GetProperty("accessToken").GetString()!;
        _tokens[user] = (token, document.RootElement.GetProperty("expiresAt").GetDateTimeOffset());
        return token;
    }
}
