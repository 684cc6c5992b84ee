using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using JobScheduler.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace JobScheduler.AppHost.Tests;

/// <summary>
/// The app host started as <c>dotnet run --project src/JobScheduler.AppHost</c> would start it, but with every port a
/// free one on 127.0.0.1, the admin password given as its <c>admin-password</c> parameter, and the dashboard on (the
/// testing builder leaves it out by default) with a known key for its telemetry API. Disposing it stops every process.
/// One runs at a time on the machine (<see cref="ProcessClusterGate"/>).
/// </summary>
public sealed class AppHostRun : IAsyncDisposable
{
    /// <summary>The name the app host gives the dashboard among its resources.</summary>
    private const string DashboardResource = "aspire-dashboard";

    // Four server processes, the dashboard and the orchestrator starting at once on 2 cores, beside other test projects.
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(4);

    // Long enough for the chaos run (about five and a half minutes) to finish before this one starts.
    private static readonly TimeSpan GatePatience = TimeSpan.FromMinutes(8);

    private readonly ProcessClusterGate _gate;

    private AppHostRun(ProcessClusterGate gate, DistributedApplication app, HttpClient api, DashboardTelemetry dashboard) =>
        (_gate, App, Api, Dashboard) = (gate, app, api, dashboard);

    public DistributedApplication App { get; }

    /// <summary>The REST API of <c>apiResource</c>, signed in as admin with the password given to the app host.</summary>
    public HttpClient Api { get; }

    /// <summary>The dashboard's telemetry API (what the dashboard received over OTLP).</summary>
    public DashboardTelemetry Dashboard { get; }

    /// <summary>
    /// Starts the app host with <paramref name="settings"/> (command-line configuration, which wins over its user
    /// secrets) and waits until <paramref name="healthy"/> report healthy; <paramref name="apiResource"/> serves the API.
    /// A start that fails throws with every resource's state and the app host's last log lines.
    /// </summary>
    public static async Task<AppHostRun> StartAsync(string[] settings, string[] healthy, string apiResource)
    {
        var gate = await ProcessClusterGate.EnterAsync(GatePatience);
        try
        {
            return await StartInTurnAsync(gate, settings, healthy, apiResource);
        }
        catch
        {
            gate.Dispose();
            throw;
        }
    }

    private static async Task<AppHostRun> StartInTurnAsync(ProcessClusterGate gate, string[] settings, string[] healthy, string apiResource)
    {
        var apiKey = Guid.NewGuid().ToString("n");
        var recentLog = new RecentLog(capacity: 200);
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
        builder.Services.AddSingleton<ILoggerProvider>(recentLog);
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
            return new AppHostRun(gate, app,
                TestLogin.Client(app.GetEndpoint(apiResource, "http"), TimeSpan.FromSeconds(30)),
                new DashboardTelemetry(app.GetEndpoint(DashboardResource, "http"), apiKey));
        }
        catch (Exception e)
        {
            var states = ResourceStates(app);
            await app.DisposeAsync();
            throw new InvalidOperationException(
                $"The app host did not start ({e.GetType().Name}: {e.Message}).{Environment.NewLine}Resources: {states}{Environment.NewLine}" +
                $"Its last log lines:{Environment.NewLine}{recentLog.Tail()}", e);
        }
    }

    private static string ResourceStates(DistributedApplication app)
    {
        var notifications = app.Services.GetRequiredService<ResourceNotificationService>();
        return string.Join(", ", app.Services.GetRequiredService<DistributedApplicationModel>().Resources.Select(resource =>
            notifications.TryGetCurrentState(resource.Name, out var state)
                ? $"{resource.Name} {state.Snapshot.State?.Text ?? "(no state)"} {state.Snapshot.HealthStatus?.ToString() ?? "(no health)"}"
                : $"{resource.Name} (not started)"));
    }

    /// <summary>The names of the server processes (project resources) the app host runs.</summary>
    public IReadOnlyList<string> ServerProcesses() =>
        [.. App.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ProjectResource>().Select(r => r.Name).Order()];

    public async ValueTask DisposeAsync()
    {
        Api.Dispose();
        Dashboard.Dispose();
        await App.DisposeAsync();
        _gate.Dispose();
    }
}
