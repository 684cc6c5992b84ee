using JobScheduler.Core.Storage;
using static JobScheduler.Persistence.Sqlite.SqliteSql;

namespace JobScheduler.Persistence.Sqlite;

/// <summary>A DAG's state as its row of <c>dags</c>: one statement per write, fenced by <c>version</c>.</summary>
internal sealed class SqliteDagRows(SqliteDatabase database) : IStateRows<DagGrainState>
{
    private const string ReadSql = "SELECT document, runtime, version FROM dags WHERE id = $1";

    private const string InsertSql = """
        INSERT INTO dags (id, owner, state, tags, next_fire_at, created_at, updated_at, document, runtime, version)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1)
        ON CONFLICT DO NOTHING
        """;

    private const string UpdateSql = """
        UPDATE dags SET owner = $2, state = $3, tags = $4, next_fire_at = $5, created_at = $6, updated_at = $7,
            document = $8, runtime = $9, version = version + 1
        WHERE id = $1 AND version = $10
        """;

    // A step's executions have job id '{dagId}:{stepId}': with BINARY collation they are exactly the ids in
    // ['{dagId}:', '{dagId};') (';' follows ':'), a range the index on job_id serves. LIKE would not do: it is
    // case-insensitive in SQLite, and '_' in a DAG id would match any character.
    private const string DeleteStepExecutionsSql = "DELETE FROM executions WHERE job_id >= $1 AND job_id < $2 AND finished_at IS NOT NULL";

    public Task<(DagGrainState State, int Version)?> ReadAsync(string id) =>
        database.ReadAsync<(DagGrainState, int)?>(connection =>
        {
            using var command = Command(connection, ReadSql, id);
            using var reader = command.ExecuteReader();
            return reader.Read() ? (DagRow.ToState(reader.GetString(0), reader.GetString(1)), reader.GetInt32(2)) : null;
        });

    public async Task<bool> WriteAsync(DagGrainState state, int? version)
    {
        var row = DagRow.From(state);
        object?[] columns =
        [
            row.Id, row.Owner, row.State, row.Tags, Ticks(row.NextFireAt), Ticks(row.CreatedAt), Ticks(row.UpdatedAt), row.Document, row.Runtime,
        ];
        var written = version is { } read
            ? await database.Writer.ExecuteAsync(UpdateSql, [.. columns, read])
            : await database.Writer.ExecuteAsync(InsertSql, columns);
        return written == 1;
    }

    /// <summary>
    /// Deletes the row and, in the same transaction, the DAG's finished runs and its steps' finished executions (with
    /// their output); running ones finish, and their grains drop them.
    /// </summary>
    public Task<bool> DeleteAsync(string id, int version) =>
        database.Writer.WriteAsync(connection =>
        {
            if (Execute(connection, "DELETE FROM dags WHERE id = $1 AND version = $2", id, version) != 1)
            {
                return false;
            }
            Execute(connection, "DELETE FROM dag_runs WHERE dag_id = $1 AND finished_at IS NOT NULL", id);
            Execute(connection, DeleteStepExecutionsSql, DagRunId.StepJobId(id, ""), $"{id};");
            return true;
        });
}
