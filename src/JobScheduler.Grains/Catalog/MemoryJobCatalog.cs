using System.Text.Json;

namespace JobScheduler.Grains.Catalog;

/// <summary>
/// The query model of the embedded default, in this process's memory. Exact for its single silo; gone when the
/// process stops, like the rest of its state.
/// </summary>
public sealed class MemoryJobCatalog : IJobCatalog
{
    private readonly Lock _lock = new();
    private readonly SortedDictionary<string, (JobInfo Job, long Revision)> _jobs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (ExecutionInfo Execution, long Revision)> _executions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SortedSet<ExecutionKey>> _executionsByJob = new(StringComparer.Ordinal);

    public bool IsDurable => false;

    public Task SaveJobAsync(JobInfo job, long revision, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!_jobs.TryGetValue(job.Id, out var current) || current.Revision <= revision)
            {
                _jobs[job.Id] = (job, revision);
            }
        }
        return Task.CompletedTask;
    }

    public Task DeleteJobAsync(string jobId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            _jobs.Remove(jobId);
            if (_executionsByJob.Remove(jobId, out var keys))
            {
                foreach (var key in keys)
                {
                    _executions.Remove(key.Id);
                }
            }
        }
        return Task.CompletedTask;
    }

    public Task SaveExecutionAsync(ExecutionInfo execution, long revision, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (_executions.TryGetValue(execution.Id, out var current) && current.Revision > revision)
            {
                return Task.CompletedTask;
            }
            _executions[execution.Id] = (CatalogDocuments.WithoutOutput(execution), revision);
            if (!_executionsByJob.TryGetValue(execution.JobId, out var keys))
            {
                _executionsByJob[execution.JobId] = keys = [];
            }
            keys.Add(new ExecutionKey(execution.ScheduledAt, execution.Id));
        }
        return Task.CompletedTask;
    }

    public Task DeleteExecutionAsync(string executionId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (_executions.Remove(executionId, out var removed) && _executionsByJob.TryGetValue(removed.Execution.JobId, out var keys))
            {
                keys.Remove(new ExecutionKey(removed.Execution.ScheduledAt, executionId));
            }
        }
        return Task.CompletedTask;
    }

    public Task<Page<JobInfo>> QueryJobsAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        var limit = CatalogDocuments.ClampLimit(query.Limit);
        var after = CatalogCursor.JobAfter(query.Cursor);
        var (tagKey, tagValue) = CatalogDocuments.ParseTag(query.Tag);
        var items = new List<JobInfo>(limit);
        string? next = null;
        lock (_lock)
        {
            foreach (var (id, (job, _)) in _jobs)
            {
                if (after is not null && string.CompareOrdinal(id, after) <= 0)
                {
                    continue;
                }
                if ((query.Owner is not null && job.Owner != query.Owner)
                    || (query.State is not null && job.State != query.State)
                    || (tagKey is not null && !(job.Tags is not null && job.Tags.TryGetValue(tagKey, out var actual) && (tagValue is null || actual == tagValue))))
                {
                    continue;
                }
                if (items.Count == limit)
                {
                    next = CatalogCursor.ForJob(items[^1].Id);
                    break;
                }
                items.Add(job);
            }
        }
        return Task.FromResult(new Page<JobInfo> { Items = [.. items], Next = next });
    }

    public Task<Page<ExecutionInfo>> QueryExecutionsAsync(string jobId, ExecutionQuery query, CancellationToken cancellationToken = default)
    {
        var limit = CatalogDocuments.ClampLimit(query.Limit);
        var after = CatalogCursor.ExecutionAfter(query.Cursor);
        var items = new List<ExecutionInfo>(limit);
        string? next = null;
        lock (_lock)
        {
            if (_executionsByJob.TryGetValue(jobId, out var keys))
            {
                foreach (var key in keys)
                {
                    if (after is { } cursor && !key.IsAfter(cursor.ScheduledAt, cursor.Id))
                    {
                        continue;
                    }
                    var execution = _executions[key.Id].Execution;
                    if ((query.State is not null && execution.State != query.State)
                        || (query.From is not null && execution.ScheduledAt < query.From)
                        || (query.To is not null && execution.ScheduledAt >= query.To))
                    {
                        continue;
                    }
                    if (items.Count == limit)
                    {
                        next = CatalogCursor.ForExecution(items[^1]);
                        break;
                    }
                    items.Add(execution);
                }
            }
        }
        return Task.FromResult(new Page<ExecutionInfo> { Items = [.. items], Next = next });
    }

    public Task<SchedulerStats> GetStatsAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(new SchedulerStats
            {
                Jobs = _jobs.Values.GroupBy(j => CatalogDocuments.Name(j.Job.State)).ToDictionary(g => g.Key, g => (long)g.Count()),
                Executions = _executions.Values.GroupBy(e => CatalogDocuments.Name(e.Execution.State)).ToDictionary(g => g.Key, g => (long)g.Count()),
            });
        }
    }

    // Nothing survives a restart of this process, so there is never anything to recover.
    public Task<IReadOnlyList<string>> FindUnfinishedExecutionsAsync(int limit, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<string>>([]);

    public Task<IReadOnlyList<string>> FindJobsDueAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<string>>([]);

    public Task<IReadOnlyList<string>> FindExecutionsFinishedBeforeAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<string>>([.. _executions.Values
                .Where(e => e.Execution.FinishedAt < before)
                .OrderBy(e => e.Execution.FinishedAt)
                .Take(limit)
                .Select(e => e.Execution.Id)]);
        }
    }

    public Task<IReadOnlyList<string>> FindExecutionsBeyondAsync(string jobId, int keep, int limit, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!_executionsByJob.TryGetValue(jobId, out var keys) || keys.Count <= keep)
            {
                return Task.FromResult<IReadOnlyList<string>>([]);
            }
            return Task.FromResult<IReadOnlyList<string>>([.. keys.Skip(keep).Reverse()
                .Where(k => _executions[k.Id].Execution.IsTerminal)
                .Take(limit)
                .Select(k => k.Id)]);
        }
    }

    /// <summary>Orders a job's executions latest first: scheduledAt descending, then id descending.</summary>
    private readonly record struct ExecutionKey(DateTimeOffset ScheduledAt, string Id) : IComparable<ExecutionKey>
    {
        public int CompareTo(ExecutionKey other)
        {
            var byTime = other.ScheduledAt.UtcTicks.CompareTo(ScheduledAt.UtcTicks);
            return byTime != 0 ? byTime : string.CompareOrdinal(other.Id, Id);
        }

        public bool IsAfter(DateTimeOffset scheduledAt, string id) => CompareTo(new ExecutionKey(scheduledAt, id)) > 0;
    }
}

/// <summary>Shared rules of every catalog: what a stored execution leaves out, limits, tag filters, state names.</summary>
public static class CatalogDocuments
{
    public const int MaxLimit = 500;

    public static ExecutionInfo WithoutOutput(ExecutionInfo execution) =>
        execution.Attempts.All(a => a.Output is null)
            ? execution
            : execution with { Attempts = [.. execution.Attempts.Select(a => a with { Output = null })] };

    public static int ClampLimit(int limit) => Math.Clamp(limit, 1, MaxLimit);

    /// <summary><c>key</c> (present with any value) or <c>key:value</c>.</summary>
    public static (string? Key, string? Value) ParseTag(string? tag)
    {
        if (string.IsNullOrEmpty(tag))
        {
            return (null, null);
        }
        var colon = tag.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? (tag, null) : (tag[..colon], tag[(colon + 1)..]);
    }

    /// <summary>The camelCase wire name of an enum value, as stored and returned.</summary>
    public static string Name<TEnum>(TEnum value) where TEnum : struct, Enum =>
        JsonNamingPolicy.CamelCase.ConvertName(value.ToString());
}
