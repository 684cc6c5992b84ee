using JobScheduler.Core.Storage;
using static JobScheduler.Persistence.Sqlite.SqliteSql;

namespace JobScheduler.Persistence.Sqlite;

/// <summary>A job's state as its row of <c>jobs</c>: one statement per write, fenced by <c>version</c>.</summary>
internal sealed class SqliteJobRows(SqliteDatabase database) : IStateRows<JobGrainState>
{
    private const string ReadSql = "SELECT document, runtime, version FROM jobs WHERE id = $1";

    private const string InsertSql = """
        INSERT INTO jobs (id, owner, state, tags, next_fire_at, created_at, updated_at, document, runtime, version)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1)
        ON CONFLICT DO NOTHING
        """;

    private const string UpdateSql = """
        UPDATE jobs SET owner = $2, state = $3, tags = $4, next_fire_at = $5, created_at = $6, updated_at = $7,
            document = $8, runtime = $9, version = version + 1
        WHERE id = $1 AND version = $10
        """;

    public Task<(JobGrainState State, int Version)?> ReadAsync(string id) =>
        database.ReadAsync<(JobGrainState, int)?>(connection =>
        {
            using var command = Command(connection, ReadSql, id);
            using var reader = command.ExecuteReader();
            return reader.Read() ? (JobRow.ToState(reader.GetString(0), reader.GetString(1)), reader.GetInt32(2)) : null;
        });

    public async Task<bool> WriteAsync(JobGrainState state, int? version)
    {
        var row = JobRow.From(state);
        object?[] columns =
        [
            row.Id, row.Owner, row.State, row.Tags, Ticks(row.NextFireAt), Ticks(row.CreatedAt), Ticks(row.UpdatedAt), row.Document, row.Runtime,
        ];
        var written = version is { } read
            ? await database.Writer.ExecuteAsync(UpdateSql, [.. columns, read])
            : await database.Writer.ExecuteAsync(InsertSql, columns);
        return written == 1;
    }

    /// <summary>Deletes the row and, in the same transaction, the job's finished executions (with their output); running ones finish.</summary>
    public Task<bool> DeleteAsync(string id, int version) =>
        database.Writer.WriteAsync(connection =>
        {
            if (Execute(connection, "DELETE FROM jobs WHERE id = $1 AND version = $2", id, version) != 1)
            {
                return false;
            }
            Execute(connection, "DELETE FROM executions WHERE job_id = $1 AND finished_at IS NOT NULL", id);
            return true;
        });
}
