using System.Net;
using JobScheduler.Api;
using JobScheduler.Api.Auth;
using JobScheduler.Client;
using JobScheduler.Grains.Hosting;
using JobScheduler.Grains.Nodes;
using JobScheduler.Persistence.Postgres;
using JobScheduler.Persistence.Sqlite;
using JobScheduler.ServiceDefaults;
using JobScheduler.Web.Hosting;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Dashboard;

namespace JobScheduler.Server;

/// <summary>
/// Composes a JobScheduler process from configuration: the embedded default (one silo and the REST API, durable in a
/// SQLite file), the same in memory (for tests and throwaway runs), or, with PostgreSQL, a silo, an API front door, or both.
/// </summary>
public static class JobSchedulerServer
{
    public const string DefaultUrl = "http://localhost:5080";

    /// <param name="args">Command-line arguments; any configuration key can be given as <c>--Section:Key=value</c>.</param>
    /// <param name="configureSilo">Extra silo configuration, e.g. <c>silo =&gt; silo.AddJobHandler&lt;MyHandler&gt;("mine")</c>.</param>
    public static WebApplication Build(string[] args, Action<ISiloBuilder>? configureSilo = null)
    {
        // Content root at the binaries so appsettings*.json are found wherever the process is started from.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        var server = ServerOptions.Read(builder.Configuration);
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["http_ports"]))
        {
            // A silo-only process serves just health checks; a free port lets several run on one machine.
            builder.WebHost.UseUrls(server.Role == ServerRole.Silo ? "http://127.0.0.1:0" : DefaultUrl);
        }
        builder.Services.AddSingleton(server);
        // OpenTelemetry (OTLP only when OTEL_EXPORTER_OTLP_ENDPOINT is set) and health checks, in every role.
        builder.AddServiceDefaults();

        if (server.Storage == ServerOptions.PostgresStorage)
        {
            // Registered before Orleans so that it runs first: the database must be up and its schema current.
            var database = builder.Configuration.GetSection(JobSchedulerPostgresOptions.Section).Get<JobSchedulerPostgresOptions>() ?? new();
            database.ConnectionString = server.ConnectionString!;
            builder.Services.AddJobSchedulerDatabase(database);
        }
        if (server.Role == ServerRole.Api)
        {
            builder.UseOrleansClient(client => ApiClusterClient.Configure(client, server));
            // A stopping front door drains its requests, each of which ends within GrainCallTimeout (503 at worst), and
            // must then be gone, so that an orchestrator starts a new one: see ShutdownWatchdog (reliability finding 2).
            builder.Services.AddOptions<HostOptions>().Configure<IOptions<JobSchedulerApiOptions>>(
                (host, api) => host.ShutdownTimeout = api.Value.GrainCallTimeout + TimeSpan.FromSeconds(5));
            builder.Services.AddHostedService<ShutdownWatchdog>();
        }
        else
        {
            builder.Services.AddOptions<JobSchedulerOptions>().BindConfiguration(JobSchedulerOptions.Section).ValidateOnStart();
            builder.Services.AddOptions<NodeOptions>().BindConfiguration(NodeOptions.Section);
            builder.UseOrleans(silo =>
            {
                if (server.Storage == ServerOptions.PostgresStorage)
                {
                    silo.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (server.ClusterId, server.ServiceId));
                    silo.Configure<ClusterMembershipOptions>(FastFailureDetection);
                    // Listening on every interface only when advertised on a non-loopback address (containers, real hosts).
                    silo.ConfigureEndpoints(server.AdvertisedAddress, server.SiloPort, server.GatewayPort, listenOnAnyHostAddress: !IPAddress.IsLoopback(server.AdvertisedAddress));
                    silo.UseJobSchedulerPostgres(server.ConnectionString!);
                }
                else if (server.Storage == ServerOptions.SqliteStorage)
                {
                    // One process owns the file (a second one is refused here, naming it), so membership stays local.
                    silo.UseLocalhostClustering(server.SiloPort, server.GatewayPort, serviceId: server.ServiceId, clusterId: server.ClusterId);
                    silo.UseJobSchedulerSqlite(server.SqlitePath);
                }
                else
                {
                    silo.UseLocalhostClustering(server.SiloPort, server.GatewayPort, serviceId: server.ServiceId, clusterId: server.ClusterId);
                    silo.AddJobSchedulerMemoryStorage();
                    silo.AddJobSchedulerMemoryReminders();
                }
                if (server.Tls is { } tls)
                {
                    // Mutual TLS on the silo port and the gateway: peers and clients must present a trusted certificate.
                    silo.UseTls(tls.Certificate, o => ClusterTls.Configure(o, tls));
                }
                silo.AddJobScheduler();
                // Clients (the SDK, and the REST front door in its own process) must say who they act for, with a key or token.
                silo.RequireClientAuthentication();
                // Grain calls carry the caller's trace (W3C trace context), so one execution is one trace.
                silo.AddActivityPropagation();
                // Every silo feeds the Orleans dashboard (/orleans on the API, admins only; docs/ui.md).
                silo.AddDashboard();
                // The key ring of action secrets is plain XML in the database unless a certificate encrypts it.
                silo.ProtectSecretKeysWithCertificate(builder.Configuration.GetSection(SecretKeyOptions.Section).Get<SecretKeyOptions>() ?? new());
                configureSilo?.Invoke(silo);
            });
        }

        builder.Services.ConfigureHttpJsonOptions(json => JobSchedulerJson.Configure(json.SerializerOptions));
        builder.Services.AddJobSchedulerApi();
        builder.Services.AddJobSchedulerWebUi();
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<ClusterExceptionHandler>();
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer<SecuritySchemesTransformer>());
        builder.Services.AddHealthChecks().AddCheck<ClusterHealthCheck>("cluster", tags: ["ready"]);
        builder.Services.AddHostedService<StartupBanner>();

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        // Every route needs a bearer token or an API key (401 problem details otherwise) but health and the OpenAPI document.
        app.UseJobSchedulerAuth();
        // Then a token bucket per user or API key owner (429 with Retry-After); health and the OpenAPI document are exempt.
        app.UseJobSchedulerRateLimits();
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = HealthResponse.WriteAsync }).AllowAnonymous().DisableRateLimiting();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = HealthResponse.WriteAsync }).AllowAnonymous().DisableRateLimiting();
        if (server.Role != ServerRole.Silo)
        {
            app.MapOpenApi().AllowAnonymous().DisableRateLimiting();
            app.MapJobSchedulerApi();
            // The web UI at / and the Orleans dashboard at /orleans (docs/ui.md).
            app.MapJobSchedulerWebUi();
            app.MapJobSchedulerDashboard();
        }
        return app;
    }

    /// <summary>
    /// Membership tuned to notice a dead silo in seconds (Orleans' defaults take about a minute): probes every second
    /// with a 2 s limit, a silo suspected after 2 missed probes, declared dead on one vote, and the table re-read every
    /// 2 s. docs/cluster.md gives the resulting bound.
    /// </summary>
    private static void FastFailureDetection(ClusterMembershipOptions options)
    {
        options.ProbeTimeout = TimeSpan.FromSeconds(1);
        options.MaxProbeTimeout = TimeSpan.FromSeconds(2);
        options.NumMissedProbesLimit = 2;
        options.NumVotesForDeathDeclaration = 1;
        options.TableRefreshTimeout = TimeSpan.FromSeconds(2);
        options.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);
        options.DeathVoteExpirationTimeout = TimeSpan.FromSeconds(30);
    }
}
