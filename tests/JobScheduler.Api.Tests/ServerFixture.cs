using System.Net.Http.Headers;
using JobScheduler.Client;
using JobScheduler.Server;
using JobScheduler.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace JobScheduler.Api.Tests;

/// <summary>
/// The real server pipeline (silo + REST API) listening on 127.0.0.1 with free ports, an HTTP client for it, and
/// an SDK client in a separate host that connects through the silo's TCP gateway, as another process would. Storage is
/// the default (SQLite), in a file of its own under the temp directory, or memory (<c>JobScheduler:Storage=Memory</c>).
/// The first user is admin with <see cref="TestLogin.AdminPassword"/>; <see cref="Http"/> signs every request in.
/// With <paramref name="allowLoopbackHttp"/> http actions may call this machine's loopback addresses (the server itself);
/// the product default refuses them. <paramref name="rateLimit"/> sets the per-user request limit; without it the limit is
/// off, explicitly: the hostile-input property test and the access matrix send thousands of requests as one user as fast
/// as they can, which is what the limit exists to stop (RateLimitTests checks the limit with a fixture of its own).
/// <paramref name="configureSilo"/> adds to the silo (e.g. a grain call filter that fails chosen calls).
/// </summary>
public abstract class ServerFixture(bool commandsEnabled, string storage = "Sqlite", bool allowLoopbackHttp = false, (int PermitsPerSecond, int Burst)? rateLimit = null, Action<ISiloBuilder>? configureSilo = null) : IAsyncLifetime
{
    private WebApplication _server = null!;
    private IHost _sdkHost = null!;
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), $"jobscheduler-api-tests-{Guid.NewGuid():n}");

    public string DatabasePath => Path.Combine(_dataDirectory, "jobscheduler.db");

    public HttpClient Http { get; private set; } = null!;

    /// <summary>
    /// The user <see cref="Sdk"/> acts as, with an API key of theirs: admin, so that tests may create through REST and
    /// watch through the SDK. SdkAccessTests checks what other users' keys may do.
    /// </summary>
    public const string SdkUser = TestLogin.Admin;

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>An SDK client connected through the gateway as <see cref="SdkUser"/>.</summary>
    public IJobSchedulerClient Sdk { get; private set; } = null!;

    public int SiloPort { get; } = LoopbackPorts.Free();

    public int GatewayPort { get; } = LoopbackPorts.Free();

    public async Task InitializeAsync()
    {
        _server = JobSchedulerServer.Build(
        [
            "--urls=http://127.0.0.1:0",
            "--environment=Production",
            $"--Orleans:SiloPort={SiloPort}",
            $"--Orleans:GatewayPort={GatewayPort}",
            $"--JobScheduler:Actions:Command:Enabled={commandsEnabled}",
            "--Logging:LogLevel:Default=Warning",
            $"--JobScheduler:Sqlite:Path={DatabasePath}",
            $"--JobScheduler:Storage={storage}",
            .. TestLogin.ServerArgs,
            $"--JobScheduler:Api:RateLimit:PermitsPerSecond={rateLimit?.PermitsPerSecond ?? 0}",
            $"--JobScheduler:Api:RateLimit:Burst={rateLimit?.Burst ?? 1}",
            .. allowLoopbackHttp ? ["--JobScheduler:Actions:Http:AllowedNetworks:0=127.0.0.0/8", "--JobScheduler:Actions:Http:AllowedNetworks:1=::1/128"] : Array.Empty<string>(),
        ], configureSilo);
        await _server.StartAsync();
        var address = _server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        // Signed in as admin unless a request names another user (HttpExtensions.SendJsonAsync).
        Http = TestLogin.Client(new Uri(address));
        Http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));

        BaseAddress = new Uri(address);
        _sdkHost = await SdkHostAsync(await TestLogin.ApiKeyAsync(BaseAddress, SdkUser));
        Sdk = _sdkHost.Services.GetRequiredService<IJobSchedulerClient>();
    }

    /// <summary>A started host with an SDK client through the gateway that sends <paramref name="apiKey"/> (none when null); the caller disposes it.</summary>
    public async Task<IHost> SdkHostAsync(string? apiKey)
    {
        var sdk = Host.CreateApplicationBuilder();
        sdk.Services.AddJobSchedulerClient(options =>
        {
            options.Gateways = [$"127.0.0.1:{GatewayPort}"];
            options.ApiKey = apiKey;
        });
        var host = sdk.Build();
        await host.StartAsync();
        return host;
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await _sdkHost.StopAsync();
        _sdkHost.Dispose();
        await _server.StopAsync();
        await _server.DisposeAsync();
        if (Directory.Exists(_dataDirectory))
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }

}

/// <summary>Commands on, and http actions may call back into this server on 127.0.0.1.</summary>
public sealed class CommandsEnabledServer() : ServerFixture(commandsEnabled: true, allowLoopbackHttp: true);

/// <summary>
/// The product defaults (no command actions, http actions to public addresses only). Also the in-memory store's run
/// through the whole pipeline (for tests and throwaway runs).
/// </summary>
public sealed class CommandsDisabledServer() : ServerFixture(commandsEnabled: false, storage: "Memory");

/// <summary>
/// The product defaults but a small per-user limit (1 request a second, 10 at once), for RateLimitTests; in memory.
/// </summary>
public sealed class RateLimitedServer() : ServerFixture(commandsEnabled: false, storage: "Memory", rateLimit: (RateLimitedServer.PermitsPerSecond, RateLimitedServer.Burst))
{
    public const int PermitsPerSecond = 1;

    public const int Burst = 10;
}
