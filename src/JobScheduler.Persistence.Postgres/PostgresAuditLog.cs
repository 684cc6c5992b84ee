using System.Text;
using JobScheduler.Core.Audit;
using Npgsql;
using NpgsqlTypes;

namespace JobScheduler.Persistence.Postgres;

/// <summary>
/// The audit trail (<c>js_audit_log</c>) in PostgreSQL, shared by every silo and API process. One row per audited
/// request, written straight to the data source (not through the grain-state batcher).
/// </summary>
public sealed class PostgresAuditLog(NpgsqlDataSource dataSource) : IAuditLog
{
    private const string Columns = "id, at, actor, action, resource, status";

    public Task AppendAsync(AuditEntry entry, CancellationToken cancellationToken = default) =>
        // Sent again on a fresh connection when a PostgreSQL restart had ended the pooled one (the change it records is
        // already made); the id makes a repeated insert a no-op.
        EndedConnection.RetryOnceAsync(dataSource, async _ =>
        {
            await using var command = dataSource.CreateCommand($"INSERT INTO js_audit_log ({Columns}) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING");
            command.Parameters.Add(new NpgsqlParameter { Value = entry.Id });
            command.Parameters.Add(new NpgsqlParameter { Value = entry.At });
            command.Parameters.Add(new NpgsqlParameter { Value = entry.Actor });
            command.Parameters.Add(new NpgsqlParameter { Value = entry.Action });
            command.Parameters.Add(new NpgsqlParameter { Value = entry.Resource });
            command.Parameters.Add(new NpgsqlParameter { Value = entry.Status });
            return await command.ExecuteNonQueryAsync(cancellationToken);
        });

    public Task AppendManyAsync(IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken = default) =>
        // One statement for the lot (an SDK batch audits up to 1,000 jobs): one round trip and one commit, not one each.
        EndedConnection.RetryOnceAsync(dataSource, async _ =>
        {
            await using var command = dataSource.CreateCommand(
                $"INSERT INTO js_audit_log ({Columns}) SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::int[]) ON CONFLICT (id) DO NOTHING");
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. entries.Select(e => e.Id)] });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset[]> { TypedValue = [.. entries.Select(e => e.At)] });
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. entries.Select(e => e.Actor)] });
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. entries.Select(e => e.Action)] });
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. entries.Select(e => e.Resource)] });
            command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = [.. entries.Select(e => e.Status)] });
            return await command.ExecuteNonQueryAsync(cancellationToken);
        });

    public async Task<AuditPage> QueryAsync(AuditQuery query, CancellationToken cancellationToken = default)
    {
        var limit = query.ClampedLimit;
        var sql = new StringBuilder($"SELECT {Columns} FROM js_audit_log WHERE true");
        await using var command = dataSource.CreateCommand();
        if (query.Actor is not null)
        {
            sql.Append(" AND actor = ").Append(Add(command, query.Actor, NpgsqlDbType.Text));
        }
        if (query.Resource is not null)
        {
            sql.Append(" AND resource = ").Append(Add(command, query.Resource, NpgsqlDbType.Text));
        }
        if (query.After is { } after)
        {
            var at = Add(command, after.At, NpgsqlDbType.TimestampTz);
            var id = Add(command, after.Id, NpgsqlDbType.Text);
            sql.Append($" AND (at < {at} OR (at = {at} AND id COLLATE \"C\" < {id}))");
        }
        sql.Append(" ORDER BY at DESC, id COLLATE \"C\" DESC LIMIT ").Append(Add(command, limit + 1, NpgsqlDbType.Integer));
        command.CommandText = sql.ToString();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<AuditEntry>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new(
                reader.GetString(0),
                reader.GetFieldValue<DateTimeOffset>(1),
                reader.GetString(2),
                reader.GetString(3),
                reader.GetString(4),
                reader.GetInt32(5)));
        }
        return AuditPages.Of(rows, limit);
    }

    /// <summary>Adds a positional parameter and returns its placeholder (<c>$n</c>).</summary>
    private static string Add(NpgsqlCommand command, object value, NpgsqlDbType type)
    {
        command.Parameters.Add(new NpgsqlParameter { Value = value, NpgsqlDbType = type });
        return "$" + command.Parameters.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
