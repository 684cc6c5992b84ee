using JobScheduler.Core.Storage;

namespace JobScheduler.Grains.Storage;

/// <summary>The memory store's DAG catalog (<see cref="IDagCatalog"/>): DAG lists, run lists and run retention over the same entries its grain storage writes.</summary>
public sealed partial class MemoryStore
{
    public Task<Page<DagInfo>> QueryDagsAsync(DagQuery query, CancellationToken cancellationToken = default)
    {
        StorageMetrics.RecordStatements(StorageMetrics.Memory, write: false);
        var limit = CatalogDocuments.ClampLimit(query.Limit);
        var after = CatalogCursor.JobAfter(query.Cursor);
        var (tagKey, tagValue) = CatalogDocuments.ParseTag(query.Tag);
        var items = new List<DagInfo>(limit);
        string? next = null;
        lock (_lock)
        {
            foreach (var (_, entry) in after is null ? _dags : _dags.Where(d => string.CompareOrdinal(d.Key, after) > 0))
            {
                if (entry.Dag is not { State: not JobState.Deleted } dag
                    || (query.Owner is not null && dag.Owner != query.Owner)
                    || (query.State is not null && dag.State != query.State)
                    || (tagKey is not null && !(dag.Tags is not null && dag.Tags.TryGetValue(tagKey, out var actual) && (tagValue is null || actual == tagValue))))
                {
                    continue;
                }
                if (items.Count == limit)
                {
                    next = CatalogCursor.ForJob(items[^1].Id);
                    break;
                }
                items.Add(dag);
            }
        }
        return Task.FromResult(new Page<DagInfo> { Items = [.. items], Next = next });
    }

    public Task<Page<DagRunInfo>> QueryRunsAsync(string dagId, DagRunQuery query, CancellationToken cancellationToken = default)
    {
        StorageMetrics.RecordStatements(StorageMetrics.Memory, write: false);
        var limit = CatalogDocuments.ClampLimit(query.Limit);
        var after = CatalogCursor.RunAfter(query.Cursor);
        var items = new List<DagRunInfo>(limit);
        string? next = null;
        lock (_lock)
        {
            if (_runsByDag.TryGetValue(dagId, out var keys))
            {
                foreach (var key in keys)
                {
                    if (after is { } cursor && !key.IsAfter(cursor.ScheduledAt, cursor.Id))
                    {
                        continue;
                    }
                    var run = _runs[key.Id].Run;
                    if ((query.State is not null && run.State != query.State)
                        || (query.From is not null && run.ScheduledAt < query.From)
                        || (query.To is not null && run.ScheduledAt >= query.To))
                    {
                        continue;
                    }
                    if (items.Count == limit)
                    {
                        next = CatalogCursor.ForRun(items[^1]);
                        break;
                    }
                    items.Add(run);
                }
            }
        }
        return Task.FromResult(new Page<DagRunInfo> { Items = [.. items], Next = next });
    }

    public Task<IReadOnlyList<string>> FindUnfinishedRunsAsync(int limit, CancellationToken cancellationToken = default)
    {
        StorageMetrics.RecordStatements(StorageMetrics.Memory, write: false);
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<string>>([.. _runs.Values
                .Where(r => !r.Run.IsTerminal)
                .OrderBy(r => r.Run.ScheduledAt)
                .ThenBy(r => r.Run.Id, StringComparer.Ordinal)
                .Take(limit)
                .Select(r => r.Run.Id)]);
        }
    }

    public Task<IReadOnlyList<string>> FindDagsDueAsync(
        DateTimeOffset before, int limit, string? afterId = null, DateTimeOffset? dueAfter = null, CancellationToken cancellationToken = default)
    {
        StorageMetrics.RecordStatements(StorageMetrics.Memory, write: false);
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<string>>([.. (afterId is null ? _dags : _dags.Where(d => string.CompareOrdinal(d.Key, afterId) > 0))
                .Where(d => d.Value.Dag is { State: JobState.Active, NextFireAt: { } next } && next <= before && !(next <= dueAfter))
                .Take(limit)
                .Select(d => d.Key)]);
        }
    }

    public Task<int> DeleteRunsFinishedBeforeAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken = default)
    {
        StorageMetrics.RecordStatements(StorageMetrics.Memory, write: true);
        lock (_lock)
        {
            return Task.FromResult(RemoveRuns([.. _runs.Values
                .Where(r => r.Run.FinishedAt < before)
                .OrderBy(r => r.Run.FinishedAt)
                .Take(limit)
                .Select(r => r.Run.Id)]));
        }
    }

    private void SaveRun(RunEntry entry)
    {
        _runs[entry.Run.Id] = entry;
        if (!_runsByDag.TryGetValue(entry.Run.DagId, out var keys))
        {
            _runsByDag[entry.Run.DagId] = keys = [];
        }
        keys.Add(new ExecutionKey(entry.Run.ScheduledAt, entry.Run.Id));
    }

    private int RemoveRuns(List<string> ids)
    {
        foreach (var id in ids)
        {
            if (_runs.Remove(id, out var removed) && _runsByDag.TryGetValue(removed.Run.DagId, out var keys))
            {
                keys.Remove(new ExecutionKey(removed.Run.ScheduledAt, id));
                if (keys.Count == 0)
                {
                    _runsByDag.Remove(removed.Run.DagId);
                }
            }
        }
        return ids.Count;
    }
}
