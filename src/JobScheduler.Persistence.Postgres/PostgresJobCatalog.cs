using JobScheduler.Core.Storage;
using Npgsql;
using NpgsqlTypes;
using static JobScheduler.Persistence.Postgres.Sql;

namespace JobScheduler.Persistence.Postgres;

/// <summary>
/// Lists, counts and retention over <c>js_jobs</c> and <c>js_executions</c>: the rows the grains' storage writes
/// (<see cref="PostgresGrainStorage"/>), read with keyset paging. Rows carry the wire JSON of the job or execution
/// (without output). Retention's deletes go through the <see cref="PostgresBatcher"/>, sharing commits with the grains' writes.
/// </summary>
public sealed class PostgresJobCatalog(NpgsqlDataSource dataSource, PostgresBatcher batcher) : IJobCatalog
{
    public bool IsDurable => true;

    public async Task<Page<JobInfo>> QueryJobsAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        var limit = CatalogDocuments.ClampLimit(query.Limit);
        var (tagKey, tagValue) = CatalogDocuments.ParseTag(query.Tag);
        await using var command = dataSource.CreateCommand("""
            SELECT document FROM js_jobs
            WHERE ($1::text IS NULL OR owner = $1)
              AND ($2::text IS NULL OR state = $2)
              AND ($3::jsonb IS NULL OR tags @> $3)
              AND ($4::text IS NULL OR tags ? $4)
              AND ($5::text IS NULL OR id > $5)
            ORDER BY id
            LIMIT $6
            """);
        command.Parameters.Add(Text(query.Owner));
        command.Parameters.Add(Text(query.State is { } state ? CatalogDocuments.Name(state) : null));
        command.Parameters.Add(Jsonb(tagKey is not null && tagValue is not null
            ? StoredJson.Serialize(new Dictionary<string, string> { [tagKey] = tagValue })
            : null));
        command.Parameters.Add(Text(tagValue is null ? tagKey : null));
        command.Parameters.Add(Text(CatalogCursor.JobAfter(query.Cursor)));
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit + 1 });
        var items = await ReadDocumentsAsync<JobInfo>(command, cancellationToken);
        return items.Count > limit
            ? new Page<JobInfo> { Items = [.. items.Take(limit)], Next = CatalogCursor.ForJob(items[limit - 1].Id) }
            : new Page<JobInfo> { Items = [.. items] };
    }

    public async Task<Page<ExecutionInfo>> QueryExecutionsAsync(string jobId, ExecutionQuery query, CancellationToken cancellationToken = default)
    {
        var limit = CatalogDocuments.ClampLimit(query.Limit);
        var after = CatalogCursor.ExecutionAfter(query.Cursor);
        await using var command = dataSource.CreateCommand("""
            SELECT document FROM js_executions
            WHERE job_id = $1
              AND ($2::text IS NULL OR state = $2)
              AND ($3::timestamptz IS NULL OR scheduled_at >= $3)
              AND ($4::timestamptz IS NULL OR scheduled_at < $4)
              AND ($5::timestamptz IS NULL OR (scheduled_at, id) < ($5, $6::text))
            ORDER BY scheduled_at DESC, id DESC
            LIMIT $7
            """);
        command.Parameters.Add(Text(jobId));
        command.Parameters.Add(Text(query.State is { } state ? CatalogDocuments.Name(state) : null));
        command.Parameters.Add(Instant(query.From));
        command.Parameters.Add(Instant(query.To));
        command.Parameters.Add(Instant(after?.ScheduledAt));
        command.Parameters.Add(Text(after?.Id));
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit + 1 });
        var items = await ReadDocumentsAsync<ExecutionInfo>(command, cancellationToken);
        return items.Count > limit
            ? new Page<ExecutionInfo> { Items = [.. items.Take(limit)], Next = CatalogCursor.ForExecution(items[limit - 1]) }
            : new Page<ExecutionInfo> { Items = [.. items] };
    }

    public async Task<SchedulerStats> GetStatsAsync(CancellationToken cancellationToken = default)
    {
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT state, count(*) FROM js_jobs GROUP BY state"));
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT state, count(*) FROM js_executions GROUP BY state"));
        StorageMetrics.RecordStatements(StorageMetrics.Postgres, write: false, batch.BatchCommands.Count);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        var jobs = new Dictionary<string, long>();
        while (await reader.ReadAsync(cancellationToken))
        {
            jobs[reader.GetString(0)] = reader.GetInt64(1);
        }
        await reader.NextResultAsync(cancellationToken);
        var executions = new Dictionary<string, long>();
        while (await reader.ReadAsync(cancellationToken))
        {
            executions[reader.GetString(0)] = reader.GetInt64(1);
        }
        return new SchedulerStats { Jobs = jobs, Executions = executions };
    }

    public Task<IReadOnlyList<string>> FindUnfinishedExecutionsAsync(int limit, CancellationToken cancellationToken = default) =>
        ReadIdsAsync(
            "SELECT id FROM js_executions WHERE state IN ('pending', 'running', 'retrying') ORDER BY scheduled_at LIMIT $1",
            [new NpgsqlParameter<int> { TypedValue = limit }],
            cancellationToken);

    public Task<IReadOnlyList<string>> FindJobsDueAsync(
        DateTimeOffset before, int limit, string? afterId = null, DateTimeOffset? dueAfter = null, CancellationToken cancellationToken = default) =>
        ReadIdsAsync(
            """
            SELECT id FROM js_jobs
            WHERE state = 'active' AND next_fire_at <= $1 AND ($4::timestamptz IS NULL OR next_fire_at > $4)
              AND ($3::text IS NULL OR id > $3)
            ORDER BY id LIMIT $2
            """,
            [Instant(before), new NpgsqlParameter<int> { TypedValue = limit }, Text(afterId), Instant(dueAfter)],
            cancellationToken);

    public Task<IReadOnlyList<string>> FindExecutionsBeyondAsync(string jobId, int keep, int limit, CancellationToken cancellationToken = default) =>
        ReadIdsAsync(
            """
            SELECT id FROM (
                SELECT id, scheduled_at, finished_at FROM js_executions WHERE job_id = $1
                ORDER BY scheduled_at DESC, id DESC OFFSET $2) beyond
            WHERE finished_at IS NOT NULL
            ORDER BY scheduled_at, id LIMIT $3
            """,
            [new NpgsqlParameter<string> { TypedValue = jobId }, new NpgsqlParameter<int> { TypedValue = keep }, new NpgsqlParameter<int> { TypedValue = limit }],
            cancellationToken);

    public async Task<int> DeleteFinishedExecutionsAsync(IReadOnlyCollection<string> executionIds, CancellationToken cancellationToken = default) =>
        executionIds.Count == 0 ? 0 : await batcher.ExecuteAsync(
            "DELETE FROM js_executions WHERE id = ANY($1) AND finished_at IS NOT NULL",
            new NpgsqlParameter<string[]> { TypedValue = [.. executionIds], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });

    public Task<int> DeleteExecutionsFinishedBeforeAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken = default) =>
        batcher.ExecuteAsync(
            """
            DELETE FROM js_executions WHERE id IN (
                SELECT id FROM js_executions WHERE finished_at < $1 ORDER BY finished_at LIMIT $2)
            """,
            Instant(before), Int(limit));

    private async Task<IReadOnlyList<string>> ReadIdsAsync(string sql, NpgsqlParameter[] parameters, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.AddRange(parameters);
        StorageMetrics.RecordStatements(StorageMetrics.Postgres, write: false);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var ids = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetString(0));
        }
        return ids;
    }

    private static async Task<List<T>> ReadDocumentsAsync<T>(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        StorageMetrics.RecordStatements(StorageMetrics.Postgres, write: false);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var items = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(StoredJson.Deserialize<T>(reader.GetString(0)));
        }
        return items;
    }
}
