using JobScheduler.Core.Audit;
using JobScheduler.Core.Auth;
using JobScheduler.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime.Hosting;
using Orleans.Serialization;
using Orleans.Storage;

namespace JobScheduler.Persistence.Sqlite;

/// <summary>Wires a SQLite file into a single-process JobScheduler silo (the durable embedded default).</summary>
public static class JobSchedulerSqliteExtensions
{
    /// <summary>
    /// Grain state (one row per job, execution, DAG and DAG run, which lists read too) and reminders in the SQLite file at <paramref name="path"/> (its directory is
    /// created if missing). The file's lock is taken here, at composition, so a second process on the same file fails
    /// before it starts anything, with a message naming the file; the schema is brought up to date when the silo
    /// first needs the database.
    /// </summary>
    /// <exception cref="InvalidOperationException">Another process uses the file.</exception>
    public static ISiloBuilder UseJobSchedulerSqlite(this ISiloBuilder silo, string path)
    {
        var fileLock = SqliteFileLock.Acquire(path);
        // Created by the container (so disposed by it: the writer drains, the lock is released).
        silo.Services.AddSingleton(sp => new SqliteDatabase(fileLock, sp.GetRequiredService<ILogger<SqliteDatabase>>()));
        silo.Services.AddGrainStorage(StateNames.Provider, (sp, _) => new SqliteGrainStorage(
            sp.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId,
            sp.GetRequiredService<SqliteDatabase>(),
            new OrleansGrainStorageSerializer(sp.GetRequiredService<Serializer>())));
        silo.AddReminders();
        silo.Services.AddSingleton<IReminderTable>(sp => new SqliteReminderTable(
            sp.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId,
            sp.GetRequiredService<SqliteDatabase>()));
        silo.Services.AddSingleton<IJobCatalog>(sp => new SqliteJobCatalog(sp.GetRequiredService<SqliteDatabase>()));
        silo.Services.AddSingleton<IDagCatalog>(sp => new SqliteDagCatalog(sp.GetRequiredService<SqliteDatabase>()));
        // The key ring that encrypts action secrets lives with the jobs it protects: a restart opens them again.
        silo.Services.AddSingleton<IKeyRingStore>(sp => new SqliteKeyRingStore(sp.GetRequiredService<SqliteDatabase>(), sp.GetRequiredService<TimeProvider>()));
        // Users and API keys live with the jobs they own.
        silo.Services.AddSingleton<IUserStore>(sp => new SqliteUserStore(sp.GetRequiredService<SqliteDatabase>()));
        // So is the audit trail of who changed them.
        silo.Services.AddSingleton<IAuditLog>(sp => new SqliteAuditLog(sp.GetRequiredService<SqliteDatabase>()));
        return silo;
    }
}
