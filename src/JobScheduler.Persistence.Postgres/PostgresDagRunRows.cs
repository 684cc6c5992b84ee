using JobScheduler.Core.Storage;
using Npgsql;
using static JobScheduler.Persistence.Postgres.Sql;

namespace JobScheduler.Persistence.Postgres;

/// <summary>A DAG run's state as its row of <c>js_dag_runs</c>: one statement per write, fenced by <c>version</c>.</summary>
internal sealed class PostgresDagRunRows(PostgresBatcher batcher) : IStateRows<DagRunGrainState>
{
    private const string ReadSql = "SELECT document::text, request, cancel_requested, version FROM js_dag_runs WHERE id = $1";

    private const string InsertSql = """
        INSERT INTO js_dag_runs (id, dag_id, owner, state, scheduled_at, started_at, finished_at, cancel_requested, document, request, version)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1)
        ON CONFLICT DO NOTHING
        """;

    // The request is the run's snapshot of the DAG: written with the row, never again.
    private const string UpdateSql = """
        UPDATE js_dag_runs SET state = $4, started_at = $6, finished_at = $7, cancel_requested = $8, document = $9, version = version + 1
        WHERE id = $1 AND version = $10
        """;

    private const string DeleteSql = "DELETE FROM js_dag_runs WHERE id = $1 AND version = $2";

    public Task<(DagRunGrainState State, int Version)?> ReadAsync(string id) =>
        batcher.QueryAsync<(DagRunGrainState, int)?>(ReadSql, [Text(id)], reader =>
            reader.Read()
                ? (DagRunRow.ToState(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetBoolean(2)), reader.GetInt32(3))
                : null);

    public async Task<bool> WriteAsync(DagRunGrainState state, int? version)
    {
        var row = DagRunRow.From(state);
        NpgsqlParameter[] columns =
        [
            Text(row.Id), Text(row.DagId), Text(row.Owner), Text(row.State), Instant(row.ScheduledAt), Instant(row.StartedAt),
            Instant(row.FinishedAt), Bool(row.CancelRequested), Jsonb(row.Document),
        ];
        var written = version is { } read
            ? await batcher.ExecuteAsync(UpdateSql, [.. columns, Int(read)])
            : await batcher.ExecuteAsync(InsertSql, [.. columns, Text(row.Request)]);
        return written == 1;
    }

    public async Task<bool> DeleteAsync(string id, int version) =>
        await batcher.ExecuteAsync(DeleteSql, Text(id), Int(version)) == 1;
}
