using JobScheduler.Core.Audit;
using Microsoft.Data.Sqlite;
using static JobScheduler.Persistence.Sqlite.SqliteSql;

namespace JobScheduler.Persistence.Sqlite;

/// <summary>The audit trail (<c>audit_log</c>) in the SQLite file, beside what it describes; appends go through the file's single writer.</summary>
public sealed class SqliteAuditLog(SqliteDatabase database) : IAuditLog
{
    private const string Columns = "id, at, actor, action, resource, status";

    private const string InsertSql = $"INSERT INTO audit_log ({Columns}) VALUES ($1, $2, $3, $4, $5, $6)";

    public Task AppendAsync(AuditEntry entry, CancellationToken cancellationToken = default) =>
        database.Writer.ExecuteAsync(InsertSql, entry.Id, Ticks(entry.At), entry.Actor, entry.Action, entry.Resource, entry.Status);

    /// <summary>The entries in one piece of the writer's next transaction (all or none).</summary>
    public Task AppendManyAsync(IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken = default) =>
        database.Writer.WriteAsync(connection =>
        {
            foreach (var entry in entries)
            {
                SqliteSql.Execute(connection, InsertSql, entry.Id, Ticks(entry.At), entry.Actor, entry.Action, entry.Resource, entry.Status);
            }
            return entries.Count;
        });

    public async Task<AuditPage> QueryAsync(AuditQuery query, CancellationToken cancellationToken = default)
    {
        var limit = query.ClampedLimit;
        var rows = await database.ReadAsync(connection =>
        {
            using var command = Command(
                connection,
                $"""
                SELECT {Columns} FROM audit_log
                WHERE ($1 IS NULL OR actor = $1) AND ($2 IS NULL OR resource = $2)
                  AND ($3 IS NULL OR at < $3 OR (at = $3 AND id < $4))
                ORDER BY at DESC, id DESC
                LIMIT $5
                """,
                query.Actor, query.Resource, Ticks(query.After?.At), query.After?.Id, limit + 1);
            using var reader = command.ExecuteReader();
            var entries = new List<AuditEntry>();
            while (reader.Read())
            {
                entries.Add(Read(reader));
            }
            return entries;
        });
        return AuditPages.Of(rows, limit);
    }

    private static AuditEntry Read(SqliteDataReader reader) => new(
        reader.GetString(0),
        Instant(reader.GetInt64(1)),
        reader.GetString(2),
        reader.GetString(3),
        reader.GetString(4),
        reader.GetInt32(5));
}
