using System.Diagnostics;
using JobScheduler.Client;
using JobScheduler.Grains.Hosting;
using JobScheduler.Server;
using JobScheduler.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace JobScheduler.Benchmarks;

/// <summary>The server in this process, an SDK client connected through its TCP gateway, and an HTTP client for its REST API.</summary>
internal sealed class BenchHost : IAsyncDisposable
{
    private BenchHost(WebApplication server, IHost clientHost, HttpClient http, TimeSpan serverStart)
    {
        Server = server;
        ClientHost = clientHost;
        Http = http;
        ServerStart = serverStart;
        Client = clientHost.Services.GetRequiredService<IJobSchedulerClient>();
        Grains = clientHost.Services.GetRequiredService<IClusterClient>();
    }

    public WebApplication Server { get; }

    public IHost ClientHost { get; }

    public IJobSchedulerClient Client { get; }

    /// <summary>The SDK's Orleans client, for what the SDK does not offer yet (DAGs: their grains, through the same gateway).</summary>
    public IClusterClient Grains { get; }

    public HttpClient Http { get; }

    /// <summary>From building the server until its <c>StartAsync</c> returned (silo up, REST API listening).</summary>
    public TimeSpan ServerStart { get; }

    public static async Task<BenchHost> StartAsync(BenchmarkOptions options)
    {
        var gatewayPort = LoopbackPorts.Free();
        var serverArgs = new List<string>
        {
            "--urls=http://127.0.0.1:0",
            "--environment=Production",
            $"--Orleans:SiloPort={LoopbackPorts.Free()}",
            $"--Orleans:GatewayPort={gatewayPort}",
            "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:JobScheduler.Server.StartupBanner=Error",
        };
        // The API needs a token: the benchmark signs in as the first admin (TestLogin).
        serverArgs.AddRange(TestLogin.ServerArgs);
        // The benchmark measures the scheduler, not the per-user request limit: off (its batches come as fast as they can).
        serverArgs.Add("--JobScheduler:Api:RateLimit:PermitsPerSecond=0");
        if (options.Storage == "postgres")
        {
            serverArgs.AddRange(["--JobScheduler:Storage=Postgres", $"--ConnectionStrings:Postgres={options.Connection}"]);
        }
        else if (options.Storage == "sqlite")
        {
            serverArgs.AddRange(["--JobScheduler:Storage=Sqlite", $"--JobScheduler:Sqlite:Path={options.Connection}"]);
        }
        else
        {
            // The benchmark's "memory" storage, now that the server's default is a SQLite file.
            serverArgs.Add("--JobScheduler:Storage=Memory");
        }
        var clock = Stopwatch.StartNew();
        var server = JobSchedulerServer.Build([.. serverArgs], silo => silo.AddJobHandler<ProbeHandler>(ProbeHandler.Name));
        await server.StartAsync();
        var serverStart = clock.Elapsed;
        var address = server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var http = TestLogin.Client(new Uri(address), TimeSpan.FromMinutes(2));

        var clientBuilder = Host.CreateApplicationBuilder();
        clientBuilder.Logging.SetMinimumLevel(LogLevel.Warning);
        // The SDK acts as an operator of its own, with an API key as any client must.
        var apiKey = await TestLogin.ApiKeyAsync(new Uri(address), "bench");
        clientBuilder.Services.AddJobSchedulerClient(o =>
        {
            o.Gateways = [$"127.0.0.1:{gatewayPort}"];
            o.ApiKey = apiKey;
        });
        var clientHost = clientBuilder.Build();
        await clientHost.StartAsync();
        return new BenchHost(server, clientHost, http, serverStart);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await ClientHost.StopAsync();
        ClientHost.Dispose();
        await Server.StopAsync();
        await Server.DisposeAsync();
    }

}
