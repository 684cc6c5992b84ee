using JobScheduler.Core.Storage;
using Microsoft.Data.Sqlite;
using static JobScheduler.Persistence.Sqlite.SqliteSql;

namespace JobScheduler.Persistence.Sqlite;

/// <summary>
/// Lists, counts and retention over <c>jobs</c> and <c>executions</c> in the SQLite file: the rows the grains' storage
/// writes (<see cref="SqliteGrainStorage"/>), read with keyset paging on reader connections. Retention's deletes go
/// through the <see cref="SqliteWriter"/>, sharing commits with the grains' writes.
/// </summary>
public sealed class SqliteJobCatalog(SqliteDatabase database) : IJobCatalog
{
    public bool IsDurable => true;

    public async Task<Page<JobInfo>> QueryJobsAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        var limit = CatalogDocuments.ClampLimit(query.Limit);
        var (tagKey, tagValue) = CatalogDocuments.ParseTag(query.Tag);
        var items = await ReadDocumentsAsync<JobInfo>(
            """
            SELECT document FROM jobs
            WHERE ($1 IS NULL OR owner = $1)
              AND ($2 IS NULL OR state = $2)
              AND ($3 IS NULL OR EXISTS (SELECT 1 FROM json_each(jobs.tags) t WHERE t.key = $3 AND ($4 IS NULL OR t.value = $4)))
              AND ($5 IS NULL OR id > $5)
            ORDER BY id
            LIMIT $6
            """,
            query.Owner, query.State is { } state ? CatalogDocuments.Name(state) : null, tagKey, tagValue,
            CatalogCursor.JobAfter(query.Cursor), limit + 1);
        return items.Count > limit
            ? new Page<JobInfo> { Items = [.. items.Take(limit)], Next = CatalogCursor.ForJob(items[limit - 1].Id) }
            : new Page<JobInfo> { Items = [.. items] };
    }

    public async Task<Page<ExecutionInfo>> QueryExecutionsAsync(string jobId, ExecutionQuery query, CancellationToken cancellationToken = default)
    {
        var limit = CatalogDocuments.ClampLimit(query.Limit);
        var after = CatalogCursor.ExecutionAfter(query.Cursor);
        var items = await ReadDocumentsAsync<ExecutionInfo>(
            """
            SELECT document FROM executions
            WHERE job_id = $1
              AND ($2 IS NULL OR state = $2)
              AND ($3 IS NULL OR scheduled_at >= $3)
              AND ($4 IS NULL OR scheduled_at < $4)
              AND ($5 IS NULL OR (scheduled_at, id) < ($5, $6))
            ORDER BY scheduled_at DESC, id DESC
            LIMIT $7
            """,
            jobId, query.State is { } state ? CatalogDocuments.Name(state) : null, Ticks(query.From), Ticks(query.To),
            Ticks(after?.ScheduledAt), after?.Id, limit + 1);
        return items.Count > limit
            ? new Page<ExecutionInfo> { Items = [.. items.Take(limit)], Next = CatalogCursor.ForExecution(items[limit - 1]) }
            : new Page<ExecutionInfo> { Items = [.. items] };
    }

    public Task<SchedulerStats> GetStatsAsync(CancellationToken cancellationToken = default) =>
        database.ReadAsync(connection => new SchedulerStats
        {
            Jobs = Counts(connection, "SELECT state, count(*) FROM jobs GROUP BY state"),
            Executions = Counts(connection, "SELECT state, count(*) FROM executions GROUP BY state"),
        });

    public Task<IReadOnlyList<string>> FindUnfinishedExecutionsAsync(int limit, CancellationToken cancellationToken = default) =>
        ReadIdsAsync("SELECT id FROM executions WHERE state IN ('pending', 'running', 'retrying') ORDER BY scheduled_at LIMIT $1", limit);

    public Task<IReadOnlyList<string>> FindJobsDueAsync(
        DateTimeOffset before, int limit, string? afterId = null, DateTimeOffset? dueAfter = null, CancellationToken cancellationToken = default) =>
        ReadIdsAsync(
            """
            SELECT id FROM jobs
            WHERE state = 'active' AND next_fire_at <= $1 AND ($4 IS NULL OR next_fire_at > $4) AND ($3 IS NULL OR id > $3)
            ORDER BY id LIMIT $2
            """,
            Ticks(before), limit, afterId, Ticks(dueAfter));

    public Task<IReadOnlyList<string>> FindExecutionsBeyondAsync(string jobId, int keep, int limit, CancellationToken cancellationToken = default) =>
        ReadIdsAsync(
            """
            SELECT id FROM (
                SELECT id, scheduled_at, finished_at FROM executions WHERE job_id = $1
                ORDER BY scheduled_at DESC, id DESC LIMIT -1 OFFSET $2)
            WHERE finished_at IS NOT NULL
            ORDER BY scheduled_at, id LIMIT $3
            """,
            jobId, keep, limit);

    public async Task<int> DeleteFinishedExecutionsAsync(IReadOnlyCollection<string> executionIds, CancellationToken cancellationToken = default) =>
        executionIds.Count == 0 ? 0 : await database.Writer.ExecuteAsync(
            "DELETE FROM executions WHERE id IN (SELECT value FROM json_each($1)) AND finished_at IS NOT NULL",
            StoredJson.Serialize(executionIds));

    public Task<int> DeleteExecutionsFinishedBeforeAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken = default) =>
        database.Writer.ExecuteAsync(
            """
            DELETE FROM executions WHERE id IN (
                SELECT id FROM executions WHERE finished_at < $1 ORDER BY finished_at LIMIT $2)
            """,
            Ticks(before), limit);

    private static Dictionary<string, long> Counts(SqliteConnection connection, string sql)
    {
        using var command = Command(connection, sql);
        using var reader = command.ExecuteReader();
        var counts = new Dictionary<string, long>();
        while (reader.Read())
        {
            counts[reader.GetString(0)] = reader.GetInt64(1);
        }
        return counts;
    }

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
