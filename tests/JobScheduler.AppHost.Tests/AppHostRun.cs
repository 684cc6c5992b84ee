using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using JobScheduler.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace JobScheduler.AppHost.Tests;

/// <summary>
/// The app host started as <c>dotnet run --project src/JobScheduler.AppHost</c> would start it, but with every port a
/// free one on 127.0.0.1, the admin password given as its <c>admin-password</c> parameter, and the dashboard on (the
/// testing builder leaves it out by default) with a known key for its telemetry API. Disposing it stops every process.
/// </summary>
public sealed class AppHostRun : IAsyncDisposable
{
    /// <summary>The name the app host gives the dashboard among its resources.</summary>
    private const string DashboardResource = "aspire-dashboard";

    // Four server processes, the dashboard and the orchestrator starting at once on 2 cores, maybe beside other test runs.
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    private AppHostRun(DistributedApplication app, HttpClient api, DashboardTelemetry dashboard) => (App, Api, Dashboard) = (app, api, dashboard);

    public DistributedApplication App { get; }

    /// <summary>The REST API of <c>apiResource</c>, signed in as admin with the password given to the app host.</summary>
    public HttpClient Api { get; }

    /// <summary>The dashboard's telemetry API (what the dashboard received over OTLP).</summary>
    public DashboardTelemetry Dashboard { get; }

    /// <summary>
    /// Starts the app host with <paramref name="settings"/> (command-line configuration, which wins over its user
    /// secrets) and waits until <paramref name="healthy"/> report healthy; <paramref name="apiResource"/> serves the API.
    /// </summary>
    public static async Task<AppHostRun> StartAsync(string[] settings, string[] healthy, string apiResource)
    {
        var apiKey = Guid.NewGuid().ToString("n");
        using var timeout = new CancellationTokenSource(StartTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.JobScheduler_AppHost>(
            [
                .. settings,
                $"--Parameters:admin-password={TestLogin.AdminPassword}",
                $"--JobScheduler:ApiPort={LoopbackPorts.Free()}",
                $"--AppHost:DashboardApiKey={apiKey}",
                $"--ASPNETCORE_URLS=http://127.0.0.1:{LoopbackPorts.Free()}",
                $"--ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL=http://127.0.0.1:{LoopbackPorts.Free()}",
                "--ASPIRE_ALLOW_UNSECURED_TRANSPORT=true",
            ],
            (options, _) => options.DisableDashboard = false,
            timeout.Token);
        var app = await builder.BuildAsync(timeout.Token);
        try
        {
            await app.StartAsync(timeout.Token);
            var notifications = app.Services.GetRequiredService<ResourceNotificationService>();
            foreach (var resource in healthy)
            {
                await notifications.WaitForResourceHealthyAsync(resource, timeout.Token);
            }
            await notifications.WaitForResourceAsync(DashboardResource, KnownResourceStates.Running, timeout.Token);
            return new AppHostRun(app,
                TestLogin.Client(app.GetEndpoint(apiResource, "http"), TimeSpan.FromSeconds(30)),
                new DashboardTelemetry(app.GetEndpoint(DashboardResource, "http"), apiKey));
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    /// <summary>The names of the server processes (project resources) the app host runs.</summary>
    public IReadOnlyList<string> ServerProcesses() =>
        [.. App.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ProjectResource>().Select(r => r.Name).Order()];

    public async ValueTask DisposeAsync()
    {
        Api.Dispose();
        Dashboard.Dispose();
        await App.DisposeAsync();
    }
}
