using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace JobScheduler.Persistence.Postgres;

/// <summary>One numbered migration shipped with this program.</summary>
public sealed record Migration(int Version, string Name, string Sql);

/// <summary>
/// Brings the database schema to the version this program knows, applying the numbered migrations that are missing,
/// each in its own transaction. Several processes may start at once: a PostgreSQL advisory lock lets one migrate
/// while the others wait, then find nothing left to do. A database whose schema is newer than this program is
/// refused, so an old binary never writes to a schema it does not understand.
/// </summary>
public sealed partial class PostgresSchema(NpgsqlDataSource dataSource, ILogger<PostgresSchema> logger, PostgresStateUpgrade? upgrade = null)
{
    /// <summary>Arbitrary but fixed: the advisory lock every JobScheduler process takes to migrate.</summary>
    public const long MigrationLockKey = 7420119;

    private const string MigrationsTable = """
        CREATE TABLE IF NOT EXISTS js_schema_migrations
        (
            version    integer     NOT NULL PRIMARY KEY,
            name       text        NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        );
        """;

    public static IReadOnlyList<Migration> Migrations { get; } = LoadMigrations();

    public static int LatestVersion => Migrations[^1].Version;

    /// <summary>
    /// Applies missing migrations (<paramref name="apply"/> true) or only checks that none is missing.
    /// Returns the schema version found before.
    /// </summary>
    /// <exception cref="SchemaVersionException">The schema is newer than this program, or older and <paramref name="apply"/> is false.</exception>
    public async Task<int> EnsureAsync(bool apply, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(connection, $"SELECT pg_advisory_lock({MigrationLockKey})", cancellationToken);
        try
        {
            await ExecuteAsync(connection, MigrationsTable, cancellationToken);
            var applied = await AppliedVersionsAsync(connection, cancellationToken);
            var current = applied.Count == 0 ? 0 : applied.Max();
            if (current > LatestVersion)
            {
                throw new SchemaVersionException(
                    $"The database schema is at version {current}, newer than this program knows ({LatestVersion}). " +
                    "Run a JobScheduler release that matches the database, or restore a matching backup.");
            }
            var missing = Migrations.Where(m => !applied.Contains(m.Version)).ToList();
            if (missing.Count == 0)
            {
                LogSchemaCurrent(current);
                await UpgradeStateAsync(connection, cancellationToken);
                return current;
            }
            if (!apply)
            {
                throw new SchemaVersionException(
                    $"The database schema is at version {current}; this program needs {LatestVersion}. Apply " +
                    $"{string.Join(", ", missing.Select(m => m.Name))} (psql -f src/JobScheduler.Persistence.Postgres/Schema/schema.sql) " +
                    "or start with JobScheduler:Database:ApplySchema=true.");
            }
            foreach (var migration in missing)
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await ExecuteAsync(connection, migration.Sql, cancellationToken);
                await using (var record = new NpgsqlCommand("INSERT INTO js_schema_migrations (version, name) VALUES ($1, $2)", connection))
                {
                    record.Parameters.Add(new NpgsqlParameter { Value = migration.Version });
                    record.Parameters.Add(new NpgsqlParameter { Value = migration.Name });
                    await record.ExecuteNonQueryAsync(cancellationToken);
                }
                await transaction.CommitAsync(cancellationToken);
                LogMigrationApplied(migration.Version, migration.Name);
            }
            await UpgradeStateAsync(connection, cancellationToken);
            return current;
        }
        finally
        {
            await ExecuteAsync(connection, $"SELECT pg_advisory_unlock({MigrationLockKey})", CancellationToken.None);
        }
    }

    /// <summary>Converts what an older schema stored in a form SQL cannot read (see <see cref="PostgresStateUpgrade"/>).</summary>
    private async Task UpgradeStateAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        if (upgrade is not null)
        {
            await upgrade.RunAsync(connection, cancellationToken);
        }
    }

    private static async Task<HashSet<int>> AppliedVersionsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var versions = new HashSet<int>();
        await using var command = new NpgsqlCommand("SELECT version FROM js_schema_migrations", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            versions.Add(reader.GetInt32(0));
        }
        return versions;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static List<Migration> LoadMigrations()
    {
        const string prefix = "JobScheduler.Migrations.";
        var assembly = typeof(PostgresSchema).Assembly;
        var migrations = assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n => Read(assembly, n, n[prefix.Length..^".sql".Length]))
            .OrderBy(m => m.Version)
            .ToList();
        for (var i = 0; i < migrations.Count; i++)
        {
            if (migrations[i].Version != i + 1)
            {
                throw new InvalidOperationException($"Migration {migrations[i].Name} is out of sequence: expected version {i + 1}.");
            }
        }
        return migrations;
    }

    private static Migration Read(Assembly assembly, string resource, string name)
    {
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream);
        var version = int.Parse(name.AsSpan(0, name.IndexOf('_', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
        return new Migration(version, name, reader.ReadToEnd());
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Database schema is current (version {Version})")]
    private partial void LogSchemaCurrent(int version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied database migration {Version} ({Name})")]
    private partial void LogMigrationApplied(int version, string name);
}

/// <summary>The database schema does not match what this program can use.</summary>
public sealed class SchemaVersionException(string message) : Exception(message);
