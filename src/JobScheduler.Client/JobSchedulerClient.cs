using Microsoft.Extensions.Options;

namespace JobScheduler.Client;

/// <summary>The SDK over the Orleans client; obtain it from DI after <c>AddJobSchedulerClient()</c>.</summary>
public sealed class JobSchedulerClient(IClusterClient cluster, IOptions<JobSchedulerClientOptions> options, TimeProvider time) : IJobSchedulerClient
{
    /// <summary>What this client creates belongs to its API key's user: the silo sets the owner, whatever is sent here.</summary>
    private const string OwnerOfKey = "";

    private readonly JobSchedulerClientOptions _options = options.Value;

    public async Task<JobInfo> ScheduleAsync(string id, JobSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var result = await Job(id).PutAsync(spec, OwnerOfKey, createOnly: false).WaitAsync(cancellationToken);
        if (result.NotFound)
        {
            // Another user's job: as if it did not exist, yet its id is taken.
            throw new JobNotFoundException("job", id);
        }
        return result.IsValid ? result.Job! : throw new JobValidationException(result.Errors);
    }

    public async Task<JobInfo> ScheduleAsync(JobSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var result = await Job(Guid.CreateVersion7().ToString("n")).PutAsync(spec, OwnerOfKey, createOnly: true).WaitAsync(cancellationToken);
        return result.IsValid ? result.Job! : throw new JobValidationException(result.Errors);
    }

    public async Task<IReadOnlyList<JobBatchResult>> ScheduleManyAsync(IReadOnlyList<JobBatchItem> items, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (items.Count == 0)
        {
            return [];
        }
        // The whole list is checked before the first chunk goes, so that a bad list stores nothing.
        if (JobBatch.Validate(items, maxItems: int.MaxValue) is { Count: > 0 } errors)
        {
            throw new JobValidationException(errors);
        }
        var results = new List<JobBatchResult>(items.Count);
        foreach (var chunk in items.Chunk(JobBatch.MaxItems))
        {
            var written = await cluster.GetGrain<IJobBatchGrain>(0).PutManyAsync(chunk, OwnerOfKey).WaitAsync(cancellationToken);
            if (!written.IsValid)
            {
                throw new JobValidationException(written.Errors);
            }
            results.AddRange(written.Results.Select((r, i) => new JobBatchResult(chunk[i].Id ?? r.Job?.Id, r.IsValid ? r.Job : null, r.Created, r.Errors)));
        }
        return results;
    }

    public Task<JobInfo?> GetJobAsync(string id, CancellationToken cancellationToken = default) =>
        Job(id).GetAsync().WaitAsync(cancellationToken);

    public Task<Page<JobInfo>> ListJobsAsync(JobQuery? query = null, CancellationToken cancellationToken = default) =>
        cluster.GetGrain<IJobQueryGrain>(0).QueryJobsAsync(query ?? new JobQuery()).WaitAsync(cancellationToken);

    public async Task<JobInfo> PauseAsync(string id, CancellationToken cancellationToken = default) =>
        await Job(id).PauseAsync().WaitAsync(cancellationToken) ?? throw new JobNotFoundException("job", id);

    public async Task<JobInfo> ResumeAsync(string id, CancellationToken cancellationToken = default) =>
        await Job(id).ResumeAsync().WaitAsync(cancellationToken) ?? throw new JobNotFoundException("job", id);

    public async Task<string> TriggerAsync(string id, TriggerOptions? overrides = null, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        var result = await Job(id).TriggerAsync(overrides, idempotencyKey).WaitAsync(cancellationToken);
        if (result.NotFound)
        {
            throw new JobNotFoundException("job", id);
        }
        return result.IsValid ? result.ExecutionId! : throw new JobValidationException(result.Errors);
    }

    public Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default) =>
        Job(id).DeleteAsync().WaitAsync(cancellationToken);

    public async Task<Page<ExecutionInfo>> ListExecutionsAsync(string jobId, ExecutionQuery? query = null, CancellationToken cancellationToken = default) =>
        await Job(jobId).ListExecutionsAsync(query ?? new ExecutionQuery()).WaitAsync(cancellationToken)
        ?? throw new JobNotFoundException("job", jobId);

    public Task<ExecutionInfo?> GetExecutionAsync(string executionId, CancellationToken cancellationToken = default) =>
        Execution(executionId).GetAsync().WaitAsync(cancellationToken);

    public async Task<ExecutionInfo> CancelExecutionAsync(string executionId, CancellationToken cancellationToken = default) =>
        await Execution(executionId).CancelAsync().WaitAsync(cancellationToken) ?? throw new JobNotFoundException("execution", executionId);

    public async Task<ExecutionInfo> WaitForCompletionAsync(string executionId, CancellationToken cancellationToken = default)
    {
        var grain = Execution(executionId);
        while (true)
        {
            // A long poll: the grain answers as soon as the execution finishes, or after the interval.
            var info = await grain.WaitAsync(_options.WaitPollInterval).WaitAsync(cancellationToken);
            if (info is null)
            {
                throw new JobNotFoundException("execution", executionId);
            }
            if (info.IsTerminal)
            {
                return info;
            }
        }
    }

    public async Task<DagInfo> ScheduleDagAsync(string id, DagSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var result = await Dag(id).PutAsync(spec, OwnerOfKey, createOnly: false).WaitAsync(cancellationToken);
        if (result.NotFound)
        {
            throw new JobNotFoundException("DAG", id);
        }
        return result.IsValid ? result.Dag! : throw new JobValidationException("The DAG is not valid", result.Errors);
    }

    public Task<DagInfo?> GetDagAsync(string id, CancellationToken cancellationToken = default) =>
        Dag(id).GetAsync().WaitAsync(cancellationToken);

    public Task<Page<DagInfo>> ListDagsAsync(DagQuery? query = null, CancellationToken cancellationToken = default) =>
        cluster.GetGrain<IDagQueryGrain>(0).QueryDagsAsync(query ?? new DagQuery()).WaitAsync(cancellationToken);

    public Task<bool> DeleteDagAsync(string id, CancellationToken cancellationToken = default) =>
        Dag(id).DeleteAsync().WaitAsync(cancellationToken);

    public async Task<DagInfo> PauseDagAsync(string id, CancellationToken cancellationToken = default) =>
        await Dag(id).PauseAsync().WaitAsync(cancellationToken) ?? throw new JobNotFoundException("DAG", id);

    public async Task<DagInfo> ResumeDagAsync(string id, CancellationToken cancellationToken = default) =>
        await Dag(id).ResumeAsync().WaitAsync(cancellationToken) ?? throw new JobNotFoundException("DAG", id);

    public async Task<DagRunInfo> TriggerDagAsync(
        string id, DagTriggerOptions? options = null, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        var result = await Dag(id).TriggerAsync(options, idempotencyKey).WaitAsync(cancellationToken);
        if (result.NotFound)
        {
            throw new JobNotFoundException("DAG", id);
        }
        return result.IsValid ? result.Run! : throw new JobValidationException("The trigger is not valid", result.Errors);
    }

    public Task<DagRunInfo?> GetDagRunAsync(string runId, CancellationToken cancellationToken = default) =>
        DagRun(runId).GetAsync().WaitAsync(cancellationToken);

    public async Task<Page<DagRunInfo>> ListDagRunsAsync(string dagId, DagRunQuery? query = null, CancellationToken cancellationToken = default) =>
        await Dag(dagId).ListRunsAsync(query ?? new DagRunQuery()).WaitAsync(cancellationToken)
        ?? throw new JobNotFoundException("DAG", dagId);

    public async Task<DagRunInfo> CancelDagRunAsync(string runId, CancellationToken cancellationToken = default) =>
        await DagRun(runId).CancelAsync().WaitAsync(cancellationToken) ?? throw new JobNotFoundException("DAG run", runId);

    public async Task<DagRunInfo> RetryDagRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        var result = await DagRun(runId).RetryAsync().WaitAsync(cancellationToken);
        if (result.NotFound)
        {
            throw new JobNotFoundException("DAG run", runId);
        }
        return result.IsValid ? result.Run! : throw new JobValidationException("The DAG run cannot be retried", result.Errors);
    }

    public async Task<DagRunInfo> WaitForDagRunAsync(string runId, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        var grain = DagRun(runId);
        var started = time.GetTimestamp();
        while (true)
        {
            // A long poll in slices below Orleans' response timeout: the grain answers as soon as the run finishes.
            var remaining = timeout - time.GetElapsedTime(started);
            var slice = remaining < _options.WaitPollInterval ? remaining : _options.WaitPollInterval;
            var run = await grain.WaitAsync(slice > TimeSpan.Zero ? slice : TimeSpan.Zero).WaitAsync(cancellationToken)
                ?? throw new JobNotFoundException("DAG run", runId);
            if (run.IsTerminal)
            {
                return run;
            }
            if (time.GetElapsedTime(started) >= timeout)
            {
                throw new TimeoutException($"DAG run '{runId}' is still {run.State.ToString().ToLowerInvariant()} after {timeout}.");
            }
        }
    }

    private IJobGrain Job(string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return cluster.GetGrain<IJobGrain>(id);
    }

    private IExecutionGrain Execution(string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return cluster.GetGrain<IExecutionGrain>(id);
    }

    private IDagGrain Dag(string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return cluster.GetGrain<IDagGrain>(id);
    }

    private IDagRunGrain DagRun(string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return cluster.GetGrain<IDagRunGrain>(id);
    }
}
