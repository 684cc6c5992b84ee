using System.Globalization;
using JobScheduler.Core.Storage;
using Orleans.Storage;

namespace JobScheduler.Grains.Storage;

/// <summary>
/// Everything in this process's memory (<c>JobScheduler:Storage=Memory</c>, for tests and throwaway runs): the grain
/// state of jobs, executions, DAGs and DAG runs and the lists read from it are one entry per job, execution, DAG and
/// run, as rows are in the SQL stores, so a write is one dictionary update and a list shows exactly what the grains wrote. States are
/// kept serialized (a grain never shares objects with the store) and fenced by version like the SQL stores: a stale
/// second activation is refused with <see cref="InconsistentStateException"/>. Gone when the process stops.
/// Each read, write or delete of an entry, and each list or count, counts as one statement of store <c>memory</c>
/// (<see cref="StorageMetrics"/>), so the benchmark compares the stores' work per execution.
/// </summary>
public sealed partial class MemoryStore(IGrainStorageSerializer serializer) : IGrainStorage, IJobCatalog, IDagCatalog
{
    private readonly Lock _lock = new();
    private readonly SortedDictionary<string, JobEntry> _jobs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ExecutionEntry> _executions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SortedSet<ExecutionKey>> _executionsByJob = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, DagEntry> _dags = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RunEntry> _runs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SortedSet<ExecutionKey>> _runsByDag = new(StringComparer.Ordinal);
    private readonly Dictionary<(string State, GrainId Grain), Entry> _other = [];

    public bool IsDurable => false;

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        StorageMetrics.RecordStatements(StorageMetrics.Memory, write: false);
        Entry? found;
        lock (_lock)
        {
            found = Find(stateName, grainId);
        }
        if (found is not null)
        {
            grainState.State = serializer.Deserialize<T>(found.Payload);
            grainState.ETag = found.Version.ToString(CultureInfo.InvariantCulture);
            grainState.RecordExists = true;
        }
        else
        {
            grainState.State = Activator.CreateInstance<T>();
            grainState.ETag = null;
            grainState.RecordExists = false;
        }
        return Task.CompletedTask;
    }

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        StorageMetrics.RecordStatements(StorageMetrics.Memory, write: true);
        var payload = serializer.Serialize(grainState.State);
        int version;
        lock (_lock)
        {
            var current = Find(stateName, grainId);
            if ((grainState.ETag is null && current is not null)
                || (grainState.ETag is not null && (current is null || current.Version.ToString(CultureInfo.InvariantCulture) != grainState.ETag)))
            {
                throw Conflict(stateName, grainId, grainState.ETag);
            }
            version = (current?.Version ?? 0) + 1;
            switch (grainState.State)
            {
                case JobGrainState { Job: { } job } when stateName == StateNames.Job:
                    _jobs[job.Id] = new JobEntry(payload, version, job);
                    break;
                case ExecutionGrainState { Info: { } info } when stateName == StateNames.Execution:
                    SaveExecution(new ExecutionEntry(payload, version, CatalogDocuments.WithoutOutput(info)));
                    break;
                case DagGrainState dag when stateName == StateNames.Dag:
                    // Kept even without a DAG, so the version fences the next write; lists skip it.
                    _dags[grainId.Key.ToString()!] = new DagEntry(payload, version, dag.Dag);
                    break;
                case DagRunGrainState { Run: { } run } when stateName == StateNames.DagRun:
                    SaveRun(new RunEntry(payload, version, run));
                    break;
                default:
                    _other[(stateName, grainId)] = new Entry(payload, version);
                    break;
            }
        }
        grainState.ETag = version.ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (grainState.ETag is not null)
        {
            StorageMetrics.RecordStatements(StorageMetrics.Memory, write: true);
            lock (_lock)
            {
                if (Find(stateName, grainId) is not { } current || current.Version.ToString(CultureInfo.InvariantCulture) != grainState.ETag)
                {
                    throw Conflict(stateName, grainId, grainState.ETag);
                }
                var key = grainId.Key.ToString()!;
                if (stateName == StateNames.Job && _jobs.Remove(key))
                {
                    // A deleted job's finished history goes with it, in the same step; running executions finish first.
                    if (_executionsByJob.TryGetValue(key, out var keys))
                    {
                        RemoveExecutions([.. keys.Select(k => k.Id).Where(id => _executions[id].Listed.IsTerminal)]);
                    }
                }
                else if (stateName == StateNames.Execution && _executions.ContainsKey(key))
                {
                    RemoveExecutions([key]);
                }
                else if (stateName == StateNames.Dag && _dags.Remove(key))
                {
                    // A deleted DAG's finished runs and its steps' finished executions (job id '{dagId}:{stepId}') go
                    // with it, in the same step; running ones finish first.
                    if (_runsByDag.TryGetValue(key, out var runs))
                    {
                        RemoveRuns([.. runs.Select(k => k.Id).Where(id => _runs[id].Run.IsTerminal)]);
                    }
                    var stepJobPrefix = DagRunId.StepJobId(key, "");
                    RemoveExecutions([.. _executionsByJob
                        .Where(j => j.Key.StartsWith(stepJobPrefix, StringComparison.Ordinal))
                        .SelectMany(j => j.Value)
                        .Select(k => k.Id)
                        .Where(id => _executions[id].Listed.IsTerminal)]);
                }
                else if (stateName == StateNames.DagRun && _runs.ContainsKey(key))
                {
                    RemoveRuns([key]);
                }
                else
                {
                    _other.Remove((stateName, grainId));
                }
            }
        }
        grainState.State = Activator.CreateInstance<T>();
        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    public Task<Page<JobInfo>> QueryJobsAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        StorageMetrics.RecordStatements(StorageMetrics.Memory, write: false);
        var limit = CatalogDocuments.ClampLimit(query.Limit);
        var after = CatalogCursor.JobAfter(query.Cursor);
        var (tagKey, tagValue) = CatalogDocuments.ParseTag(query.Tag);
        var items = new List<JobInfo>(limit);
        string? next = null;
        lock (_lock)
        {
            foreach (var (id, entry) in after is null ? _jobs : _jobs.Where(j => string.CompareOrdinal(j.Key, after) > 0))
            {
                var job = entry.Job;
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
        StorageMetrics.RecordStatements(StorageMetrics.Memory, write: false);
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
                    var execution = _executions[key.Id].Listed;
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
        // One count per dictionary, as the SQL stores run one per table.
        StorageMetrics.RecordStatements(StorageMetrics.Memory, write: false, 2);
        lock (_lock)
        {
            return Task.FromResult(new SchedulerStats
            {
                Jobs = _jobs.Values.GroupBy(j => CatalogDocuments.Name(j.Job.State)).ToDictionary(g => g.Key, g => (long)g.Count()),
                Executions = _executions.Values.GroupBy(e => CatalogDocuments.Name(e.Listed.State)).ToDictionary(g => g.Key, g => (long)g.Count()),
            });
        }
    }

    // Nothing survives a restart of this process, so there is never anything to recover.
    public Task<IReadOnlyList<string>> FindUnfinishedExecutionsAsync(int limit, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<string>>([]);

    public Task<IReadOnlyList<string>> FindJobsDueAsync(
        DateTimeOffset before, int limit, string? afterId = null, DateTimeOffset? dueAfter = null, CancellationToken cancellationToken = default)
    {
        StorageMetrics.RecordStatements(StorageMetrics.Memory, write: false);
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<string>>([.. (afterId is null ? _jobs : _jobs.Where(j => string.CompareOrdinal(j.Key, afterId) > 0))
                .Where(j => j.Value.Job is { State: JobState.Active, NextFireAt: { } next } && next <= before && !(next <= dueAfter))
                .Take(limit)
                .Select(j => j.Key)]);
        }
    }

    public Task<IReadOnlyList<string>> FindExecutionsBeyondAsync(string jobId, int keep, int limit, CancellationToken cancellationToken = default)
    {
        StorageMetrics.RecordStatements(StorageMetrics.Memory, write: false);
        lock (_lock)
        {
            if (!_executionsByJob.TryGetValue(jobId, out var keys) || keys.Count <= keep)
            {
                return Task.FromResult<IReadOnlyList<string>>([]);
            }
            return Task.FromResult<IReadOnlyList<string>>([.. keys.Skip(keep).Reverse()
                .Where(k => _executions[k.Id].Listed.IsTerminal)
                .Take(limit)
                .Select(k => k.Id)]);
        }
    }

    public Task<int> DeleteFinishedExecutionsAsync(IReadOnlyCollection<string> executionIds, CancellationToken cancellationToken = default)
    {
        StorageMetrics.RecordStatements(StorageMetrics.Memory, write: true);
        lock (_lock)
        {
            return Task.FromResult(RemoveExecutions([.. executionIds.Where(id => _executions.TryGetValue(id, out var e) && e.Listed.IsTerminal)]));
        }
    }

    public Task<int> DeleteExecutionsFinishedBeforeAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken = default)
    {
        StorageMetrics.RecordStatements(StorageMetrics.Memory, write: true);
        lock (_lock)
        {
            return Task.FromResult(RemoveExecutions([.. _executions.Values
                .Where(e => e.Listed.FinishedAt < before)
                .OrderBy(e => e.Listed.FinishedAt)
                .Take(limit)
                .Select(e => e.Listed.Id)]));
        }
    }

    private Entry? Find(string stateName, GrainId grainId)
    {
        if (stateName == StateNames.Job && _jobs.TryGetValue(grainId.Key.ToString()!, out var job))
        {
            return job;
        }
        if (stateName == StateNames.Execution && _executions.TryGetValue(grainId.Key.ToString()!, out var execution))
        {
            return execution;
        }
        if (stateName == StateNames.Dag && _dags.TryGetValue(grainId.Key.ToString()!, out var dag))
        {
            return dag;
        }
        if (stateName == StateNames.DagRun && _runs.TryGetValue(grainId.Key.ToString()!, out var run))
        {
            return run;
        }
        return _other.GetValueOrDefault((stateName, grainId));
    }

    private void SaveExecution(ExecutionEntry entry)
    {
        _executions[entry.Listed.Id] = entry;
        if (!_executionsByJob.TryGetValue(entry.Listed.JobId, out var keys))
        {
            _executionsByJob[entry.Listed.JobId] = keys = [];
        }
        keys.Add(new ExecutionKey(entry.Listed.ScheduledAt, entry.Listed.Id));
    }

    private int RemoveExecutions(List<string> ids)
    {
        foreach (var id in ids)
        {
            if (_executions.Remove(id, out var removed) && _executionsByJob.TryGetValue(removed.Listed.JobId, out var keys))
            {
                keys.Remove(new ExecutionKey(removed.Listed.ScheduledAt, id));
                if (keys.Count == 0)
                {
                    _executionsByJob.Remove(removed.Listed.JobId);
                }
            }
        }
        return ids.Count;
    }

    private static InconsistentStateException Conflict(string stateName, GrainId grainId, string? etag) =>
        new($"The state of {grainId} ({stateName}) was written by another activation since this one read it.", null, etag);

    private record Entry(BinaryData Payload, int Version);

    private sealed record JobEntry(BinaryData Payload, int Version, JobInfo Job) : Entry(Payload, Version);

    /// <summary>An execution's state, and the execution as lists show it (without output).</summary>
    private sealed record ExecutionEntry(BinaryData Payload, int Version, ExecutionInfo Listed) : Entry(Payload, Version);

    /// <summary>A DAG's state; <see cref="Dag"/> is null (or deleted) when the DAG does not exist, and lists skip it.</summary>
    private sealed record DagEntry(BinaryData Payload, int Version, DagInfo? Dag) : Entry(Payload, Version);

    private sealed record RunEntry(BinaryData Payload, int Version, DagRunInfo Run) : Entry(Payload, Version);

    /// <summary>Orders a job's executions (and a DAG's runs) latest first: scheduledAt descending, then id descending.</summary>
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
