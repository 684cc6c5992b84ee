using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using JobScheduler.Persistence.Postgres.Tests;
using JobScheduler.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace JobScheduler.AppHost.Tests;

/// <summary>
/// The app host as an operator runs it against PostgreSQL (a fresh database here): the Aspire dashboard, three silos
/// and the API, every port on 127.0.0.1 and free. The admin password is given as the app host's secret parameter, the
/// dashboard's telemetry API key as <c>AppHost:DashboardApiKey</c>. Stopped (all processes) when the tests end.
/// </summary>
public sealed class AppHostCluster : IAsyncLifetime
{
    public static readonly string[] Silos = ["silo1", "silo2", "silo3"];

    /// <summary>The name the app host gives the dashboard among its resources.</summary>
    private const string DashboardResource = "aspire-dashboard";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);

    private readonly PostgresDatabase _database = new();

    public DistributedApplication App { get; private set; } = null!;

    /// <summary>The REST API, signed in as admin with the password given to the app host.</summary>
    public HttpClient Api { get; private set; } = null!;

    /// <summary>The dashboard's telemetry API (what the dashboard received over OTLP).</summary>
    public DashboardTelemetry Dashboard { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        var apiKey = Guid.NewGuid().ToString("n");
        using var timeout = new CancellationTokenSource(StartTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.JobScheduler_AppHost>(
            [
                $"--ConnectionStrings:postgres={_database.ConnectionString}",
                $"--Parameters:admin-password={TestLogin.AdminPassword}",
                $"--JobScheduler:ApiPort={LoopbackPorts.Free()}",
                $"--AppHost:DashboardApiKey={apiKey}",
                $"--ASPNETCORE_URLS=http://127.0.0.1:{LoopbackPorts.Free()}",
                $"--ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL=http://127.0.0.1:{LoopbackPorts.Free()}",
                "--ASPIRE_ALLOW_UNSECURED_TRANSPORT=true",
            ],
            // The testing builder leaves the dashboard out by default; this test is about what it receives.
            (options, _) => options.DisableDashboard = false,
            timeout.Token);
        App = await builder.BuildAsync(timeout.Token);
        await App.StartAsync(timeout.Token);

        var notifications = App.Services.GetRequiredService<ResourceNotificationService>();
        foreach (var resource in Silos.Append("api"))
        {
            await notifications.WaitForResourceHealthyAsync(resource, timeout.Token);
        }
        await notifications.WaitForResourceAsync(DashboardResource, KnownResourceStates.Running, timeout.Token);
        Api = TestLogin.Client(App.GetEndpoint("api", "http"), TimeSpan.FromSeconds(30));
        Dashboard = new DashboardTelemetry(App.GetEndpoint(DashboardResource, "http"), apiKey);
    }

    public async Task DisposeAsync()
    {
        Api?.Dispose();
        Dashboard?.Dispose();
        if (App is not null)
        {
            await App.DisposeAsync();
        }
        await _database.DisposeAsync();
    }
}
