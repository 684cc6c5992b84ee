using JobScheduler.Core.Storage;
using Npgsql;
using NpgsqlTypes;
using static JobScheduler.Persistence.Postgres.Sql;

namespace JobScheduler.Persistence.Postgres;

/// <summary>
/// An execution's state as its row of <c>js_executions</c> (one statement per write, fenced by <c>version</c>), with the
/// output of each finished attempt stored once in <c>js_attempt_outputs</c>, in the same statement as the row's update.
/// </summary>
internal sealed class PostgresExecutionRows(PostgresBatcher batcher) : IStateRows<ExecutionGrainState>
{
    private const string ReadSql = """
        SELECT e.document::text, e.request, e.cancel_requested, e.version,
               ARRAY(SELECT o.number FROM js_attempt_outputs o WHERE o.execution_id = e.id ORDER BY o.number),
               ARRAY(SELECT o.output FROM js_attempt_outputs o WHERE o.execution_id = e.id ORDER BY o.number)
        FROM js_executions e WHERE e.id = $1
        """;

    private const string InsertSql = """
        INSERT INTO js_executions (id, job_id, owner, scheduled_at, state, created_at, finished_at, cancel_requested, document, request, version)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1)
        ON CONFLICT DO NOTHING
        """;

    private const string UpdateSql = """
        UPDATE js_executions SET state = $5, finished_at = $7, cancel_requested = $8, document = $9, version = version + 1
        WHERE id = $1 AND version = $10
        """;

    // Outputs are inserted only when the fence holds: every part of a statement sees the same snapshot.
    private const string UpdateWithOutputsSql = """
        WITH outputs AS (
            INSERT INTO js_attempt_outputs (execution_id, number, output)
            SELECT $1, o.number, o.output FROM unnest($11::int[], $12::text[]) AS o(number, output)
            WHERE EXISTS (SELECT 1 FROM js_executions WHERE id = $1 AND version = $10)
            ON CONFLICT DO NOTHING)
        UPDATE js_executions SET state = $5, finished_at = $7, cancel_requested = $8, document = $9, version = version + 1
        WHERE id = $1 AND version = $10
        """;

    private const string DeleteSql = "DELETE FROM js_executions WHERE id = $1 AND version = $2";

    public Task<(ExecutionGrainState State, int Version)?> ReadAsync(string id) =>
        batcher.QueryAsync<(ExecutionGrainState, int)?>(ReadSql, [Text(id)], reader =>
        {
            if (!reader.Read())
            {
                return null;
            }
            var numbers = reader.GetFieldValue<int[]>(4);
            var outputs = reader.GetFieldValue<string[]>(5);
            var state = ExecutionRow.ToState(
                reader.GetString(0),
                reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.GetBoolean(2),
                [.. numbers.Select((n, i) => new AttemptOutput(n, outputs[i]))]);
            return (state, reader.GetInt32(3));
        });

    public async Task<bool> WriteAsync(ExecutionGrainState state, int? version)
    {
        var row = ExecutionRow.From(state);
        var outputs = ExecutionRow.NewOutputs(state);
        NpgsqlParameter[] columns =
        [
            Text(row.Id), Text(row.JobId), Text(row.Owner), Instant(row.ScheduledAt), Text(row.State), Instant(row.CreatedAt),
            Instant(row.FinishedAt), Bool(row.CancelRequested), Jsonb(row.Document),
        ];
        if (version is not { } read)
        {
            // A new row: any output of attempts it already holds follows with the next write.
            return await batcher.ExecuteAsync(InsertSql, [.. columns, Text(row.Request)]) == 1;
        }
        var written = outputs.Count == 0
            ? await batcher.ExecuteAsync(UpdateSql, [.. columns, Int(read)])
            : await batcher.ExecuteAsync(UpdateWithOutputsSql, [.. columns, Int(read), .. OutputParameters(outputs)]);
        if (written == 1)
        {
            state.OutputsStored = ExecutionRow.FinishedAttempts(state);
        }
        return written == 1;
    }

    public async Task<bool> DeleteAsync(string id, int version) =>
        await batcher.ExecuteAsync(DeleteSql, Text(id), Int(version)) == 1;

    private static NpgsqlParameter[] OutputParameters(IReadOnlyList<AttemptOutput> outputs) =>
    [
        new NpgsqlParameter<int[]> { TypedValue = [.. outputs.Select(o => o.Number)], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer },
        new NpgsqlParameter<string[]> { TypedValue = [.. outputs.Select(o => o.Output)], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
    ];
}
