using JobScheduler.Core.Storage;
using Npgsql;
using static JobScheduler.Persistence.Postgres.Sql;

namespace JobScheduler.Persistence.Postgres;

/// <summary>
/// Lists, recovery queries and retention over <c>js_dags</c> and <c>js_dag_runs</c>: the rows the grains' storage
/// writes (<see cref="PostgresGrainStorage"/>), read with keyset paging, as <see cref="PostgresJobCatalog"/> reads jobs
/// and executions. Retention's deletes go through the <see cref="PostgresBatcher"/>, sharing commits with the grains' writes.
/// </summary>
public sealed class PostgresDagCatalog(NpgsqlDataSource dataSource, PostgresBatcher batcher) : IDagCatalog
{
    public async Task<Page<DagInfo>> QueryDagsAsync(DagQuery query, CancellationToken cancellationToken = default)
    {
        var limit = CatalogDocuments.ClampLimit(query.Limit);
        var (tagKey, tagValue) = CatalogDocuments.ParseTag(query.Tag);
        await using var command = dataSource.CreateCommand("""
            SELECT document FROM js_dags
            WHERE state <> 'deleted'
              AND ($1::text IS NULL OR owner = $1)
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
        var items = await ReadDocumentsAsync<DagInfo>(command, cancellationToken);
        return items.Count > limit
            ? new Page<DagInfo> { Items = [.. items.Take(limit)], Next = CatalogCursor.ForJob(items[limit - 1].Id) }
            : new Page<DagInfo> { Items = [.. items] };
    }

    public async Task<Page<DagRunInfo>> QueryRunsAsync(string dagId, DagRunQuery query, CancellationToken cancellationToken = default)
    {
        var limit = CatalogDocuments.ClampLimit(query.Limit);
        var after = CatalogCursor.RunAfter(query.Cursor);
        await using var command = dataSource.CreateCommand("""
            SELECT document FROM js_dag_runs
            WHERE dag_id = $1
              AND ($2::text IS NULL OR state = $2)
              AND ($3::timestamptz IS NULL OR scheduled_at >= $3)
              AND ($4::timestamptz IS NULL OR scheduled_at < $4)
              AND ($5::timestamptz IS NULL OR (scheduled_at, id) < ($5, $6::text))
            ORDER BY scheduled_at DESC, id DESC
            LIMIT $7
            """);
        command.Parameters.Add(Text(dagId));
        command.Parameters.Add(Text(query.State is { } state ? CatalogDocuments.Name(state) : null));
        command.Parameters.Add(Instant(query.From));
        command.Parameters.Add(Instant(query.To));
        command.Parameters.Add(Instant(after?.ScheduledAt));
        command.Parameters.Add(Text(after?.Id));
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit + 1 });
        var items = await ReadDocumentsAsync<DagRunInfo>(command, cancellationToken);
        return items.Count > limit
            ? new Page<DagRunInfo> { Items = [.. items.Take(limit)], Next = CatalogCursor.ForRun(items[limit - 1]) }
            : new Page<DagRunInfo> { Items = [.. items] };
    }

    public Task<IReadOnlyList<string>> FindUnfinishedRunsAsync(int limit, CancellationToken cancellationToken = default) =>
        ReadIdsAsync(
            "SELECT id FROM js_dag_runs WHERE state = 'running' ORDER BY scheduled_at, id LIMIT $1",
            [Int(limit)],
            cancellationToken);

    public Task<IReadOnlyList<string>> FindDagsDueAsync(
        DateTimeOffset before, int limit, string? afterId = null, DateTimeOffset? dueAfter = null, CancellationToken cancellationToken = default) =>
        ReadIdsAsync(
            """
            SELECT id FROM js_dags
            WHERE state = 'active' AND next_fire_at <= $1 AND ($4::timestamptz IS NULL OR next_fire_at > $4)
              AND ($3::text IS NULL OR id > $3)
            ORDER BY id LIMIT $2
            """,
            [Instant(before), Int(limit), Text(afterId), Instant(dueAfter)],
            cancellationToken);

    public Task<int> DeleteRunsFinishedBeforeAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken = default) =>
        batcher.ExecuteAsync(
            """
            DELETE FROM js_dag_runs WHERE id IN (
                SELECT id FROM js_dag_runs WHERE finished_at < $1 ORDER BY finished_at LIMIT $2)
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
