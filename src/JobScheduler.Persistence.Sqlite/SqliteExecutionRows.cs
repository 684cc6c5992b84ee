using JobScheduler.Core.Storage;
using static JobScheduler.Persistence.Sqlite.SqliteSql;

namespace JobScheduler.Persistence.Sqlite;

/// <summary>
/// An execution's state as its row of <c>executions</c> (fenced by <c>version</c>), with the output of each finished
/// attempt stored once in <c>attempt_outputs</c>, in the same transaction as the row's update and only if it holds.
/// </summary>
internal sealed class SqliteExecutionRows(SqliteDatabase database) : IStateRows<ExecutionGrainState>
{
    private const string InsertSql = """
        INSERT INTO executions (id, job_id, owner, scheduled_at, state, created_at, finished_at, cancel_requested, document, request, version)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1)
        ON CONFLICT DO NOTHING
        """;

    private const string UpdateSql = """
        UPDATE executions SET state = $5, finished_at = $7, cancel_requested = $8, document = $9, version = version + 1
        WHERE id = $1 AND version = $10
        """;

    public Task<(ExecutionGrainState State, int Version)?> ReadAsync(string id) =>
        database.ReadAsync<(ExecutionGrainState, int)?>(connection =>
        {
            string document;
            string? request;
            bool cancelRequested;
            int version;
            using (var command = Command(connection, "SELECT document, request, cancel_requested, version FROM executions WHERE id = $1", id))
            using (var reader = command.ExecuteReader())
            {
                if (!reader.Read())
                {
                    return null;
                }
                (document, request, cancelRequested, version) =
                    (reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetBoolean(2), reader.GetInt32(3));
            }
            var outputs = new List<AttemptOutput>();
            using (var command = Command(connection, "SELECT number, output FROM attempt_outputs WHERE execution_id = $1 ORDER BY number", id))
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    outputs.Add(new AttemptOutput(reader.GetInt32(0), reader.GetString(1)));
                }
            }
            return (ExecutionRow.ToState(document, request, cancelRequested, outputs), version);
        });

    public async Task<bool> WriteAsync(ExecutionGrainState state, int? version)
    {
        var row = ExecutionRow.From(state);
        var outputs = ExecutionRow.NewOutputs(state);
        object?[] columns =
        [
            row.Id, row.JobId, row.Owner, Ticks(row.ScheduledAt), row.State, Ticks(row.CreatedAt), Ticks(row.FinishedAt),
            row.CancelRequested, row.Document,
        ];
        if (version is not { } read)
        {
            // A new row: any output of attempts it already holds follows with the next write.
            return await database.Writer.ExecuteAsync(InsertSql, [.. columns, row.Request]) == 1;
        }
        var written = await database.Writer.WriteAsync(connection =>
        {
            if (Execute(connection, UpdateSql, [.. columns, read]) != 1)
            {
                return false;
            }
            foreach (var output in outputs)
            {
                Execute(connection, "INSERT INTO attempt_outputs (execution_id, number, output) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    row.Id, output.Number, output.Output);
            }
            return true;
        });
        if (written)
        {
            state.OutputsStored = ExecutionRow.FinishedAttempts(state);
        }
        return written;
    }

    public async Task<bool> DeleteAsync(string id, int version) =>
        await database.Writer.ExecuteAsync("DELETE FROM executions WHERE id = $1 AND version = $2", id, version) == 1;
}
