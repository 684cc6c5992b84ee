using System.Net.Http.Headers;
using System.Text.Json;
using JobScheduler.Server;
using JobScheduler.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace JobScheduler.Browser.Tests;

/// <summary>
/// The real server (silo, REST API and web UI, in memory) on 127.0.0.1 and Debian's Chromium driven by Playwright,
/// shared by every browser test. Chromium is <c>/usr/bin/chromium</c> unless <c>CHROMIUM_PATH</c> names another; when
/// it is missing the tests fail and say how to install it (Playwright's own browser download cannot reach the internet).
/// </summary>
public sealed class BrowserServer : IAsyncLifetime
{
    private WebApplication _server = null!;
    private IPlaywright _playwright = null!;

    public Uri Address { get; private set; } = null!;

    /// <summary>Signed in as admin unless a request names another user (<see cref="TestLogin.UserOption"/>).</summary>
    public HttpClient Http { get; private set; } = null!;

    public TestLogin Login { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public static string ChromiumPath => Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException(
                $"The browser tests need Chromium at {ChromiumPath} (set CHROMIUM_PATH to use another). Install it with " +
                "'apt-get install -y chromium' (.ci/run does); Playwright's own browser download is not used.");
        }
        _server = JobSchedulerServer.Build(
        [
            "--urls=http://127.0.0.1:0",
            "--environment=Production",
            $"--Orleans:SiloPort={LoopbackPorts.Free()}",
            $"--Orleans:GatewayPort={LoopbackPorts.Free()}",
            "--JobScheduler:Storage=Memory",
            "--Logging:LogLevel:Default=Warning",
            "--JobScheduler:Api:RateLimit:PermitsPerSecond=0",
            .. TestLogin.ServerArgs,
            // Several tests log in as admin through the form within a minute; the per-user login limit (5) is RateLimit's test.
            "--JobScheduler:Auth:LoginAttemptsPerUser=1000",
        ]);
        await _server.StartAsync();
        Address = new Uri(_server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        Http = TestLogin.Client(Address);
        Http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        Login = new TestLogin(Address);

        // CI runs the test projects side by side on 2 cores: web-first assertions wait up to 15 s, not Playwright's 5 s.
        Assertions.SetDefaultExpectTimeout(15_000);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = ChromiumPath, Headless = true });
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright.Dispose();
        Http.Dispose();
        Login.Dispose();
        await _server.StopAsync();
        await _server.DisposeAsync();
    }

    /// <summary>Creates the user with <paramref name="role"/> if needed (password <see cref="TestLogin.UserPassword"/>).</summary>
    public Task EnsureUserAsync(string user, string role) => Login.TokenAsync(user, role);

    /// <summary>Sends JSON to the API as <paramref name="user"/> and answers the parsed body.</summary>
    public async Task<JsonElement> SendAsync(HttpMethod method, string path, string? json = null, string user = TestLogin.Admin)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        }
        request.Options.Set(TestLogin.UserOption, user);
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path} as {user}: {(int)response.StatusCode} {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>A job owned by <paramref name="user"/>, run only when triggered, with the built-in <paramref name="handler"/> and its <paramref name="payload"/> (a JSON object).</summary>
    public Task PutManualJobAsync(string id, string user, string handler = "noop", object? payload = null) =>
        SendAsync(HttpMethod.Put, $"/api/jobs/{id}",
            JsonSerializer.Serialize(new
            {
                schedule = new { kind = "manual" },
                action = new { kind = "handler", handler, payload },
                tags = new Dictionary<string, string> { ["team"] = "browser" },
            }), user);

    /// <summary>A new page of a new browser context (its own cookies and storage) at <paramref name="width"/>×<paramref name="height"/>.</summary>
    public async Task<IPage> NewPageAsync(int width = 1280, int height = 800)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Address.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        context.SetDefaultTimeout(30_000);
        return await context.NewPageAsync();
    }

    /// <summary>Logs in through the UI's form and waits for the overview.</summary>
    public static async Task LogInAsync(IPage page, string user, string password)
    {
        await page.GotoAsync("/#/login");
        await page.GetByLabel("Username").FillAsync(user);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Overview" })).ToBeVisibleAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserServer>
{
    public const string Name = "browser";
}
