using System.Globalization;
using Microsoft.Data.Sqlite;

namespace JobScheduler.Persistence.Sqlite;

/// <summary>One numbered migration shipped with this program (an embedded <c>Schema/Migrations/NNNN_name.sql</c>).</summary>
public sealed record SqliteMigration(int Version, string Name, string Sql);

/// <summary>
/// Brings a SQLite file to the schema this program knows: the version is SQLite's <c>PRAGMA user_version</c>, and each
/// missing migration is applied in its own transaction together with the new version, so a crash mid-way leaves the
/// file at the previous version. A file whose schema is newer than this program is refused, so an old binary never
/// writes to a schema it does not understand. Only one process opens the file (<see cref="SqliteFileLock"/>), so
/// there is no race between migrating processes.
/// </summary>
public static class SqliteSchema
{
    public static IReadOnlyList<SqliteMigration> Migrations { get; } = Load();

    public static int LatestVersion => Migrations[^1].Version;

    /// <summary>Applies the missing migrations; returns the version found before.</summary>
    /// <exception cref="InvalidOperationException">The file's schema is newer than this program knows.</exception>
    public static int Apply(SqliteConnection connection, string path)
    {
        var current = Version(connection);
        if (current > LatestVersion)
        {
            throw new InvalidOperationException(
                $"The SQLite database {path} is at schema version {current}, newer than this program knows ({LatestVersion}); " +
                "run a JobScheduler release that matches it, or restore a matching backup.");
        }
        foreach (var migration in Migrations.Where(m => m.Version > current))
        {
            SqliteSql.Execute(connection, "BEGIN IMMEDIATE");
            try
            {
                SqliteSql.Execute(connection, migration.Sql);
                SqliteSql.Execute(connection, $"PRAGMA user_version = {migration.Version.ToString(CultureInfo.InvariantCulture)}");
                SqliteSql.Execute(connection, "COMMIT");
            }
            catch
            {
                SqliteSql.Execute(connection, "ROLLBACK");
                throw;
            }
        }
        return current;
    }

    public static int Version(SqliteConnection connection)
    {
        using var command = SqliteSql.Command(connection, "PRAGMA user_version");
        return Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static List<SqliteMigration> Load()
    {
        const string prefix = "JobScheduler.Sqlite.Migrations.";
        var assembly = typeof(SqliteSchema).Assembly;
        var migrations = new List<SqliteMigration>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            var name = resource[prefix.Length..^".sql".Length];
            using var reader = new StreamReader(assembly.GetManifestResourceStream(resource)!);
            migrations.Add(new SqliteMigration(int.Parse(name[..4], NumberStyles.None, CultureInfo.InvariantCulture), name, reader.ReadToEnd()));
        }
        return [.. migrations.OrderBy(m => m.Version)];
    }
}
