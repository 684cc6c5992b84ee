using JobScheduler.Core.Audit;
using JobScheduler.Core.Auth;
using JobScheduler.Core.Storage;
using JobScheduler.Grains.Actions;
using JobScheduler.Grains.Nodes;
using JobScheduler.Grains.Security;
using JobScheduler.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Runtime.Hosting;
using Orleans.Serialization;
using Orleans.Storage;

namespace JobScheduler.Grains.Hosting;

/// <summary>Registers the scheduler's grains' services on a silo. Every method is safe to call more than once.</summary>
public static class JobSchedulerSiloExtensions
{
    /// <summary>The grain storage provider the scheduler's grains use; the host registers it (memory, SQLite or PostgreSQL).</summary>
    public const string StorageName = StateNames.Provider;

    public static ISiloBuilder AddJobScheduler(this ISiloBuilder builder, Action<JobSchedulerOptions>? configure = null)
    {
        builder.Services.AddJobScheduler(configure);
        return builder;
    }

    /// <summary>
    /// Makes clients prove who they act for: every client call to the scheduler's grains needs an API key (the SDK) or a
    /// token the REST front door minted, checked by the <see cref="ICallerAuthenticator"/> the host registers (the API's),
    /// and holds only the caller's role and resources (<see cref="ClientCallGuard"/>). The server always adds it.
    /// </summary>
    public static ISiloBuilder RequireClientAuthentication(this ISiloBuilder builder)
    {
        // First in line, so that a refused call touches nothing.
        if (!builder.Services.Any(d => d.ImplementationType == typeof(ClientCallGuard)))
        {
            builder.Services.TryAddSingleton<SdkAudit>();
            builder.Services.Insert(0, ServiceDescriptor.Singleton<IIncomingGrainCallFilter, ClientCallGuard>());
        }
        return builder;
    }

    public static IServiceCollection AddJobScheduler(this IServiceCollection services, Action<JobSchedulerOptions>? configure = null)
    {
        var options = services.AddOptions<JobSchedulerOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<JobSchedulerOptions>, JobSchedulerOptionsValidator>());
        // The one place the system clock is named: everything else is given a TimeProvider (tests give a fake one).
#pragma warning disable RS0030
        services.TryAddSingleton(TimeProvider.System);
#pragma warning restore RS0030
        services.TryAddSingleton(sp => new SchedulerClock(sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<RandomSource>();
        // Attempts carry their own timeout and cancel tokens; the client must not add a 100 s limit of its own. Its
        // connections go only where the network policy allows (HttpActionConnector), with no proxy and no auto-redirects.
        services.TryAddSingleton<IHostResolver, DnsHostResolver>();
        services.TryAddSingleton<HttpActionConnector>();
        services.AddHttpClient(HttpActionRunner.ClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp => sp.GetRequiredService<HttpActionConnector>().CreateHandler());
        services.TryAddSingleton<ActionRulesSource>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IIncomingGrainCallFilter, StorageExceptionFilter>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IIncomingGrainCallFilter, GrainCallCounter>());
        services.TryAddSingleton<ProcessLimits>();
        services.TryAddSingleton<CommandActionRunner>();
        services.TryAddSingleton<HttpActionRunner>();
        services.TryAddSingleton<HandlerActionRunner>();
        services.TryAddSingleton<ActionRunner>();
        services.AddActionSecrets();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ILifecycleParticipant<ISiloLifecycle>, SchedulerMaintenance>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ILifecycleParticipant<ISiloLifecycle>, LostSiloRescan>());

        // This silo as a worker node, and the placement that puts each attempt on the node the ledger reserved.
        services.AddOptions<NodeOptions>();
        services.TryAddSingleton<LocalNode>();
        services.TryAddSingleton<NodeHeartbeat>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ILifecycleParticipant<ISiloLifecycle>, NodeHeartbeat>(sp => sp.GetRequiredService<NodeHeartbeat>()));
        if (!services.Any(d => d.ServiceType == typeof(NodePlacementDirector)))
        {
            services.AddSingleton<NodePlacementDirector>();
            services.AddPlacementDirector<NodePlacement>(sp => sp.GetRequiredService<NodePlacementDirector>());
        }
        services.AddJobHandler<NoopHandler>(NoopHandler.Name);
        services.AddJobHandler<SleepHandler>(SleepHandler.Name);
        return services;
    }

    /// <summary>
    /// Everything in this silo's memory (<see cref="MemoryStore"/>): grain state and the lists read from it, in Orleans'
    /// binary serializer (its default JSON one drops members equal to their type's default, so a retry jitter of 0 would
    /// come back as the 0.2 default after a re-activation). One silo only: each silo would have a store of its own.
    /// </summary>
    public static ISiloBuilder AddJobSchedulerMemoryStorage(this ISiloBuilder builder)
    {
        builder.Services.TryAddSingleton(sp => new MemoryStore(new OrleansGrainStorageSerializer(sp.GetRequiredService<Serializer>())));
        builder.Services.TryAddSingleton<IJobCatalog>(sp => sp.GetRequiredService<MemoryStore>());
        builder.Services.TryAddSingleton<IDagCatalog>(sp => sp.GetRequiredService<MemoryStore>());
        builder.Services.TryAddSingleton<IKeyRingStore, MemoryKeyRingStore>();
        builder.Services.TryAddSingleton<IUserStore, MemoryUserStore>();
        builder.Services.TryAddSingleton<IAuditLog, MemoryAuditLog>();
        builder.Services.AddGrainStorage(StorageName, (sp, _) => sp.GetRequiredService<MemoryStore>());
        return builder;
    }

    /// <summary>
    /// Durable-for-the-process reminders in this silo's memory (<see cref="InProcessReminderTable"/>), for the embedded
    /// default. One silo only: each silo would have a table of its own.
    /// </summary>
    public static ISiloBuilder AddJobSchedulerMemoryReminders(this ISiloBuilder builder)
    {
        builder.AddReminders();
        builder.Services.AddSingleton<IReminderTable, InProcessReminderTable>();
        return builder;
    }

    /// <summary>Registers <typeparamref name="THandler"/> as the handler named <paramref name="name"/> (one instance per attempt).</summary>
    public static ISiloBuilder AddJobHandler<THandler>(this ISiloBuilder builder, string name)
        where THandler : class, IJobHandler
    {
        builder.Services.AddJobHandler<THandler>(name);
        return builder;
    }

    /// <inheritdoc cref="AddJobHandler{THandler}(ISiloBuilder, string)"/>
    public static IServiceCollection AddJobHandler<THandler>(this IServiceCollection services, string name)
        where THandler : class, IJobHandler
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        services.TryAddKeyedTransient<IJobHandler, THandler>(name);
        services.Configure<JobHandlerCatalog>(catalog => catalog.Names.Add(name));
        return services;
    }
}

/// <summary>The names of the handlers registered on this silo.</summary>
public sealed class JobHandlerCatalog
{
    public HashSet<string> Names { get; } = new(StringComparer.Ordinal);
}
