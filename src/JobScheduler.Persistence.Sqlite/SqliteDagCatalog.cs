using JobScheduler.Core.Storage;
using static JobScheduler.Persistence.Sqlite.SqliteSql;

namespace JobScheduler.Persistence.Sqlite;

/// <summary>
/// Lists, recovery queries and retention over <c>dags</c> and <c>dag_runs</c> in the SQLite file: the rows the grains'
/// storage writes (<see cref="SqliteGrainStorage"/>), read with keyset paging on reader connections, as
/// <see cref="SqliteJobCatalog"/> reads jobs and executions. Retention's deletes go through the <see cref="SqliteWriter"/>.
/// </summary>
public sealed class SqliteDagCatalog(SqliteDatabase database) : IDagCatalog
{
    public async Task<Page<DagInfo>> QueryDagsAsync(DagQuery query, CancellationToken cancellationToken = default)
    {
        var limit = CatalogDocuments.ClampLimit(query.Limit);
        var (tagKey, tagValue) = CatalogDocuments.ParseTag(query.Tag);
        var items = await ReadDocumentsAsync<DagInfo>(
            """
            SELECT document FROM dags
            WHERE state <> 'deleted'
              AND ($1 IS NULL OR owner = $1)
              AND ($2 IS NULL OR state = $2)
              AND ($3 IS NULL OR EXISTS (SELECT 1 FROM json_each(dags.tags) t WHERE t.key = $3 AND ($4 IS NULL OR t.value = $4)))
              AND ($5 IS NULL OR id > $5)
            ORDER BY id
            LIMIT $6
            """,
            query.Owner, query.State is { } state ? CatalogDocuments.Name(state) : null, tagKey, tagValue,
            CatalogCursor.JobAfter(query.Cursor), limit + 1);
        return items.Count > limit
            ? new Page<DagInfo> { Items = [.. items.Take(limit)], Next = CatalogCursor.ForJob(items[limit - 1].Id) }
            : new Page<DagInfo> { Items = [.. items] };
    }

    public async Task<Page<DagRunInfo>> QueryRunsAsync(string dagId, DagRunQuery query, CancellationToken cancellationToken = default)
    {
        var limit = CatalogDocuments.ClampLimit(query.Limit);
        var after = CatalogCursor.RunAfter(query.Cursor);
        var items = await ReadDocumentsAsync<DagRunInfo>(
            """
            SELECT document FROM dag_runs
            WHERE dag_id = $1
              AND ($2 IS NULL OR state = $2)
              AND ($3 IS NULL OR scheduled_at >= $3)
              AND ($4 IS NULL OR scheduled_at < $4)
              AND ($5 IS NULL OR (scheduled_at, id) < ($5, $6))
            ORDER BY scheduled_at DESC, id DESC
            LIMIT $7
            """,
            dagId, query.State is { } state ? CatalogDocuments.Name(state) : null, Ticks(query.From), Ticks(query.To),
            Ticks(after?.ScheduledAt), after?.Id, limit + 1);
        return items.Count > limit
            ? new Page<DagRunInfo> { Items = [.. items.Take(limit)], Next = CatalogCursor.ForRun(items[limit - 1]) }
            : new Page<DagRunInfo> { Items = [.. items] };
    }

    public Task<IReadOnlyList<string>> FindUnfinishedRunsAsync(int limit, CancellationToken cancellationToken = default) =>
        ReadIdsAsync("SELECT id FROM dag_runs WHERE state = 'running' ORDER BY scheduled_at, id LIMIT $1", limit);

    public Task<IReadOnlyList<string>> FindDagsDueAsync(
        DateTimeOffset before, int limit, string? afterId = null, DateTimeOffset? dueAfter = null, CancellationToken cancellationToken = default) =>
        ReadIdsAsync(
            """
            SELECT id FROM dags
            WHERE state = 'active' AND next_fire_at <= $1 AND ($4 IS NULL OR next_fire_at > $4) AND ($3 IS NULL OR id > $3)
            ORDER BY id LIMIT $2
            """,
            Ticks(before), limit, afterId, Ticks(dueAfter));

    public Task<int> DeleteRunsFinishedBeforeAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken = default) =>
        database.Writer.ExecuteAsync(
            """
            DELETE FROM dag_runs WHERE id IN (
                SELECT id FROM dag_runs WHERE finished_at < $1 ORDER BY finished_at LIMIT $2)
            """,
            Ticks(before), limit);

    private Task<IReadOnlyList<string>> ReadIdsAsync(string sql, params object?[] values) =>
        database.ReadAsync<IReadOnlyList<string>>(connection =>
        {
            using var command = Command(connection, sql, values);
            using var reader = command.ExecuteReader();
            var ids = new List<string>();
            while (reader.Read())
            {
                ids.Add(reader.GetString(0));
            }
            return ids;
        });

    private Task<List<T>> ReadDocumentsAsync<T>(string sql, params object?[] values) =>
        database.ReadAsync(connection =>
        {
            using var command = Command(connection, sql, values);
            using var reader = command.ExecuteReader();
            var items = new List<T>();
            while (reader.Read())
            {
                items.Add(StoredJson.Deserialize<T>(reader.GetString(0)));
            }
            return items;
        });
}
