using JobScheduler.Core.Storage;
using Npgsql;
using static JobScheduler.Persistence.Postgres.Sql;

namespace JobScheduler.Persistence.Postgres;

/// <summary>A job's state as its row of <c>js_jobs</c>: one statement per write, fenced by <c>version</c>.</summary>
internal sealed class PostgresJobRows(PostgresBatcher batcher) : IStateRows<JobGrainState>
{
    private const string ReadSql = "SELECT document::text, runtime, version FROM js_jobs WHERE id = $1";

    private const string InsertSql = """
        INSERT INTO js_jobs (id, owner, state, tags, next_fire_at, created_at, updated_at, document, runtime, version)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1)
        ON CONFLICT DO NOTHING
        """;

    private const string UpdateSql = """
        UPDATE js_jobs SET owner = $2, state = $3, tags = $4, next_fire_at = $5, created_at = $6, updated_at = $7,
            document = $8, runtime = $9, version = version + 1
        WHERE id = $1 AND version = $10
        """;

    // The job's finished executions go with it in the same statement (their output by cascade); running ones finish.
    private const string DeleteSql = """
        WITH job AS (DELETE FROM js_jobs WHERE id = $1 AND version = $2 RETURNING id),
             history AS (DELETE FROM js_executions e USING job WHERE e.job_id = job.id AND e.finished_at IS NOT NULL)
        SELECT count(*)::int FROM job
        """;

    public Task<(JobGrainState State, int Version)?> ReadAsync(string id) =>
        batcher.QueryAsync<(JobGrainState, int)?>(ReadSql, [Text(id)], reader =>
            reader.Read() ? (JobRow.ToState(reader.GetString(0), reader.GetString(1)), reader.GetInt32(2)) : null);

    public async Task<bool> WriteAsync(JobGrainState state, int? version)
    {
        var row = JobRow.From(state);
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
        batcher.QueryAsync(DeleteSql, [Text(id), Int(version)], reader => reader.Read() && reader.GetInt32(0) == 1);
}
