using JobScheduler.AppHost;
using Microsoft.Extensions.Configuration;

// The Aspire app host (docs/aspire.md): the dashboard plus, when ConnectionStrings:postgres is given (user secrets,
// environment or command line), three silos and the REST API sharing that PostgreSQL; otherwise one embedded server
// (a silo and the API in one process, durable in its SQLite file). Every process sends its logs, traces and metrics to
// the dashboard over the OTLP endpoint the app host hands it.
var builder = DistributedApplication.CreateBuilder(args);

// The password of the first user, admin, for the first start on an empty database: set Parameters:admin-password, or
// a generated one is kept in this project's user secrets and shown in the dashboard (the parameter's value).
var adminPassword = builder.AddParameter("admin-password", new GenerateParameterDefault { MinLength = 20, Special = false }, secret: true, persist: true)
    .WithDescription("The password of the user admin, created at the first start on an empty database (JobScheduler:Auth:BootstrapAdminPassword).");
var apiPort = builder.Configuration.GetValue(AppHostSettings.ApiPortKey, AppHostSettings.DefaultApiPort);

if (string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(AppHostSettings.PostgresName)))
{
    var server = builder.AddProject<Projects.JobScheduler_Server>("jobscheduler")
        .WithHttpEndpoint(port: apiPort, name: "http")
        .WithEnvironment("JobScheduler__Auth__BootstrapAdminPassword", adminPassword)
        .WithHttpHealthCheck("/health/ready");
    if (builder.Configuration[AppHostSettings.SqlitePathKey] is { Length: > 0 } sqlitePath)
    {
        server.WithEnvironment("JobScheduler__Sqlite__Path", Path.GetFullPath(sqlitePath));
    }
}
else
{
    var postgres = builder.AddConnectionString(AppHostSettings.PostgresName);
    var orleans = builder.AddOrleans("cluster")
        .WithClusterId("jobscheduler")
        .WithServiceId("jobscheduler")
        .WithClustering(new JobSchedulerPostgresClustering(postgres));
    // The server turns Orleans' activity propagation on itself, in every role; Orleans:EnableDistributedTracing from
    // here would add it a second time.
    orleans.EnableDistributedTracing = false;

    var silos = Enumerable.Range(1, AppHostSettings.SiloCount)
        .Select(n => builder.AddProject<Projects.JobScheduler_Server>($"silo{n}")
            .WithEnvironment("JobScheduler__Role", "Silo")
            .WithReference(orleans)
            .WithOrleansPorts()
            .WithHttpEndpoint(name: "http")
            .WithEnvironment("JobScheduler__Auth__BootstrapAdminPassword", adminPassword)
            .WithHttpHealthCheck("/health/ready"))
        .ToList();

    var api = builder.AddProject<Projects.JobScheduler_Server>("api")
        .WithEnvironment("JobScheduler__Role", "Api")
        .WithReference(orleans.AsClient())
        .WithHttpEndpoint(port: apiPort, name: "http")
        .WithEnvironment("JobScheduler__Auth__BootstrapAdminPassword", adminPassword)
        .WithHttpHealthCheck("/health/ready");
    // The front door finds the silos through the membership table: it starts once the first one is ready.
    api.WaitFor(silos[0]);
}

builder.Build().Run();
