using JobScheduler.Core.Audit;
using JobScheduler.Core.Auth;
using JobScheduler.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using Orleans.Serialization;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime.Hosting;
using Orleans.Storage;

namespace JobScheduler.Persistence.Postgres;

/// <summary>How JobScheduler uses PostgreSQL. Bound from <c>JobScheduler:Database</c>; the connection string from <c>ConnectionStrings:Postgres</c>.</summary>
public sealed class JobSchedulerPostgresOptions
{
    public const string Section = "JobScheduler:Database";

    /// <summary>An Npgsql connection string. Required.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>Apply missing migrations at start-up (true, the default), or only check the schema version (false).</summary>
    public bool ApplySchema { get; set; } = true;

    /// <summary>How long start-up keeps retrying an unreachable database before giving up. Default 2 minutes.</summary>
    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromMinutes(2);
}

/// <summary>Wires PostgreSQL into a JobScheduler process. Call the database registration before adding the silo or client.</summary>
public static class JobSchedulerPostgresExtensions
{
    /// <summary>The ADO.NET invariant of Npgsql, as the Orleans providers name it.</summary>
    public const string Invariant = "Npgsql";

    /// <summary>Connections per process for the Orleans providers, unless the connection string sets Maximum Pool Size.</summary>
    public const int OrleansPoolSize = 8;

    /// <summary>Connections per process for lists, storage, reminders and migrations, unless the connection string sets Maximum Pool Size.</summary>
    public const int CatalogPoolSize = 12;

    /// <summary>
    /// Caps a connection string's pool unless it says otherwise: PostgreSQL's default of 100 connections would
    /// otherwise be used up by a few busy processes (Npgsql's default pool is 100 per process).
    /// </summary>
    public static string WithPoolLimit(string connectionString, int maximum)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!connectionString.Contains("Pool Size", StringComparison.OrdinalIgnoreCase) && !connectionString.Contains("MaxPoolSize", StringComparison.OrdinalIgnoreCase))
        {
            builder.MaxPoolSize = maximum;
        }
        return builder.ConnectionString;
    }

    /// <summary>
    /// Registers the data source and a start-up step that waits for the database (retrying with backoff) and brings
    /// its schema up to date. Register it before Orleans so that it runs first.
    /// </summary>
    public static IServiceCollection AddJobSchedulerDatabase(this IServiceCollection services, JobSchedulerPostgresOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(options.ConnectionString, "ConnectionStrings:Postgres");
        services.TryAddSingleton(options);
        services.TryAddSingleton(_ => NpgsqlDataSource.Create(WithPoolLimit(options.ConnectionString, CatalogPoolSize)));
        services.TryAddSingleton<PostgresSchema>();
        services.TryAddSingleton<PostgresStateUpgrade>();
        // Start-up waits on the clock; the silo registers the same default, an API-only process needs it here.
#pragma warning disable RS0030
        services.TryAddSingleton(TimeProvider.System);
#pragma warning restore RS0030
        services.AddHostedService<DatabaseStartup>();
        // Users and keys are read by the API, which an API-only process hosts without a silo: registered with the database.
        services.TryAddSingleton<IUserStore>(sp => new PostgresUserStore(sp.GetRequiredService<NpgsqlDataSource>()));
        services.TryAddSingleton<IAuditLog>(sp => new PostgresAuditLog(sp.GetRequiredService<NpgsqlDataSource>()));
        return services;
    }

    /// <summary>Membership, grain state (one row per job, execution, DAG and DAG run), reminders, lists and the key ring of action secrets in PostgreSQL.</summary>
    public static ISiloBuilder UseJobSchedulerPostgres(this ISiloBuilder silo, string connectionString)
    {
        connectionString = WithPoolLimit(connectionString, OrleansPoolSize);
        silo.UseAdoNetClustering(o =>
        {
            o.Invariant = Invariant;
            o.ConnectionString = connectionString;
        });
        silo.AddJobSchedulerPostgresStorage();
        silo.AddReminders();
        silo.Services.AddSingleton<IReminderTable>(sp => new PostgresReminderTable(
            sp.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId,
            sp.GetRequiredService<NpgsqlDataSource>(),
            sp.GetRequiredService<PostgresBatcher>()));
        silo.Services.AddSingleton<IJobCatalog>(sp => new PostgresJobCatalog(sp.GetRequiredService<NpgsqlDataSource>(), sp.GetRequiredService<PostgresBatcher>()));
        silo.Services.AddSingleton<IDagCatalog>(sp => new PostgresDagCatalog(sp.GetRequiredService<NpgsqlDataSource>(), sp.GetRequiredService<PostgresBatcher>()));
        // The key ring that encrypts action secrets: every silo reads the same keys, so any silo opens what another sealed.
        silo.Services.AddSingleton<IKeyRingStore>(sp => new PostgresKeyRingStore(sp.GetRequiredService<NpgsqlDataSource>()));
        return silo;
    }

    /// <summary>
    /// Grain state in PostgreSQL (<see cref="PostgresGrainStorage"/>) through the process's <see cref="PostgresBatcher"/>,
    /// in Orleans' own version-tolerant binary format (the state types are [GenerateSerializer] with [Id]s). Needs the
    /// data source that <see cref="AddJobSchedulerDatabase"/> registers.
    /// </summary>
    public static ISiloBuilder AddJobSchedulerPostgresStorage(this ISiloBuilder silo)
    {
        silo.Services.TryAddSingleton(sp => new PostgresBatcher(sp.GetRequiredService<NpgsqlDataSource>()));
        silo.Services.AddGrainStorage(StateNames.Provider, (sp, _) => new PostgresGrainStorage(
            sp.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId,
            sp.GetRequiredService<PostgresBatcher>(),
            new OrleansGrainStorageSerializer(sp.GetRequiredService<Serializer>())));
        return silo;
    }

    /// <summary>For an API-only process: find the silos' gateways through the membership table.</summary>
    public static IClientBuilder UseJobSchedulerPostgres(this IClientBuilder client, string connectionString) =>
        client.UseAdoNetClustering(o =>
        {
            o.Invariant = Invariant;
            o.ConnectionString = WithPoolLimit(connectionString, 4);
        });
}
