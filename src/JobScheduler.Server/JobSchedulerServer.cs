using JobScheduler.Api;
using JobScheduler.Grains.Hosting;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;

namespace JobScheduler.Server;

/// <summary>Composes the embedded default: one silo and the REST API in one process.</summary>
public static class JobSchedulerServer
{
    public const string DefaultUrl = "http://localhost:5080";

    /// <param name="args">Command-line arguments; any configuration key can be given as <c>--Section:Key=value</c>.</param>
    /// <param name="configureSilo">Extra silo configuration, e.g. <c>silo =&gt; silo.AddJobHandler&lt;MyHandler&gt;("mine")</c>.</param>
    public static WebApplication Build(string[] args, Action<ISiloBuilder>? configureSilo = null)
    {
        // Content root at the binaries so appsettings*.json are found wherever the process is started from.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["http_ports"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        var server = ServerOptions.Read(builder.Configuration);
        builder.Services.AddSingleton(server);
        builder.Services.AddOptions<JobSchedulerOptions>().BindConfiguration(JobSchedulerOptions.Section).ValidateOnStart();
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(server.SiloPort, server.GatewayPort, serviceId: server.ServiceId, clusterId: server.ClusterId);
            silo.AddMemoryGrainStorage(JobSchedulerSiloExtensions.StorageName);
            silo.UseInMemoryReminderService();
            silo.AddJobScheduler();
            configureSilo?.Invoke(silo);
        });

        builder.Services.ConfigureHttpJsonOptions(json => JobSchedulerJson.Configure(json.SerializerOptions));
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<ClusterExceptionHandler>();
        builder.Services.AddOpenApi();
        builder.Services.AddHealthChecks().AddCheck<ClusterHealthCheck>("cluster", tags: ["ready"]);
        builder.Services.AddHostedService<StartupBanner>();

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapOpenApi();
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = HealthResponse.WriteAsync });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = HealthResponse.WriteAsync });
        app.MapJobSchedulerApi();
        return app;
    }
}
