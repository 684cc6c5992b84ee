using JobScheduler.Core.Storage;
using Npgsql;
using static JobScheduler.Persistence.Postgres.Sql;

namespace JobScheduler.Persistence.Postgres;

/// <summary>A DAG's state as its row of <c>js_dags</c>: one statement per write, fenced by <c>version</c>.</summary>
internal sealed class PostgresDagRows(PostgresBatcher batcher) : IStateRows<DagGrainState>
{
    private const string ReadSql = "SELECT document::text, runtime, version FROM js_dags WHERE id = $1";

    private const string InsertSql = """
        INSERT INTO js_dags (id, owner, state, tags, next_fire_at, created_at, updated_at, document, runtime, version)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1)
        ON CONFLICT DO NOTHING
        """;

    private const string UpdateSql = """
        UPDATE js_dags SET owner = $2, state = $3, tags = $4, next_fire_at = $5, created_at = $6, updated_at = $7,
            document = $8, runtime = $9, version = version + 1
        WHERE id = $1 AND version = $10
        """;

    // The DAG's finished runs and its steps' finished executions go with it in the same statement (their output by
    // cascade); running ones finish, and their grains drop them. Step executions are those whose job id is
    // '{dagId}:{stepId}' ($3 is that prefix as an escaped LIKE pattern; the strpos test lets the partial index serve).
    private const string DeleteSql = """
        WITH dag AS (DELETE FROM js_dags WHERE id = $1 AND version = $2 RETURNING id),
             runs AS (DELETE FROM js_dag_runs r USING dag WHERE r.dag_id = dag.id AND r.finished_at IS NOT NULL),
             steps AS (DELETE FROM js_executions e USING dag
                       WHERE e.job_id LIKE $3 AND strpos(e.job_id, ':') > 0 AND e.finished_at IS NOT NULL)
        SELECT count(*)::int FROM dag
        """;

    public Task<(DagGrainState State, int Version)?> ReadAsync(string id) =>
        batcher.QueryAsync<(DagGrainState, int)?>(ReadSql, [Text(id)], reader =>
            reader.Read() ? (DagRow.ToState(reader.GetString(0), reader.GetString(1)), reader.GetInt32(2)) : null);

    public async Task<bool> WriteAsync(DagGrainState state, int? version)
    {
        var row = DagRow.From(state);
        NpgsqlParameter[] columns =
        [
            Text(row.Id), Text(row.Owner), Text(row.State), Jsonb(row.Tags), Instant(row.NextFireAt),
            Instant(row.CreatedAt), Instant(row.UpdatedAt), Jsonb(row.Document), Text(row.Runtime),
        ];
        var written = version is { } read
            ? await batcher.ExecuteAsync(UpdateSql, [.. columns, Int(read)])
            : await batcher.ExecuteAsync(InsertSql, columns);
        return written == 1;
    }

    public Task<bool> DeleteAsync(string id, int version) =>
        batcher.QueryAsync(DeleteSql, [Text(id), Int(version), Text(LikePrefix(DagRunId.StepJobId(id, "")))], reader => reader.Read() && reader.GetInt32(0) == 1);
}
