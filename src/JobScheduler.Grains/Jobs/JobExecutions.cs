using JobScheduler.Core.Storage;
using JobScheduler.Grains.Hosting;
using Microsoft.Extensions.Options;

namespace JobScheduler.Grains.Jobs;

/// <summary>
/// A job's bookkeeping of its executions, kept in the job's state: a record (id, instant, state) of each execution not
/// yet finished, for the concurrency policy, and a count of the rest, for retention. The recorded state is only a hint
/// until terminal: what runs is asked of the executions themselves. One per job activation; runs on the grain's scheduler.
/// </summary>
internal sealed class JobExecutions(
    string jobId,
    IPersistentState<JobGrainState> state,
    IGrainFactory grains,
    IJobCatalog catalog,
    IOptionsMonitor<JobSchedulerOptions> options)
{
    private const int MinRecordsCheck = 16;

    private int _recordsCheckAt = MinRecordsCheck;

    /// <summary>The ids of the job's executions that really run now (asked of each); finished ones are dropped from the records.</summary>
    public async Task<List<string>> RunningAsync()
    {
        var running = new List<string>();
        foreach (var record in state.State.Executions.Where(r => !r.IsTerminal))
        {
            // The recorded state is only a hint until terminal: ask the execution itself.
            var info = await grains.GetGrain<IExecutionGrain>(record.Id).GetAsync();
            record.State = info?.State ?? ExecutionState.Cancelled;
            if (!record.IsTerminal)
            {
                running.Add(record.Id);
            }
        }
        state.State.Executions.RemoveAll(r => r.IsTerminal);
        return running;
    }

    /// <summary>An execution reported its new state: kept in memory only, the next write of the job persists it.</summary>
    public void Changed(string executionId, ExecutionState executionState)
    {
        var records = state.State.Executions;
        var index = records.FindLastIndex(r => r.Id == executionId);
        if (index >= 0)
        {
            // A stale record is harmless: it is asked about before use.
            records[index].State = executionState;
            if (records[index].IsTerminal)
            {
                records.RemoveAt(index);
            }
        }
    }

    /// <summary>
    /// Starts the execution of <paramref name="request"/> (idempotent: its id derives from the instant), records it, and
    /// prunes old history. The start runs under the fire's (or trigger's) span, whose context is stored with the
    /// execution's request so that its attempts join that trace.
    /// </summary>
    public async Task<ExecutionInfo> StartAsync(ExecutionRequest request)
    {
        var id = ExecutionId.For(jobId, request.ScheduledAt);
        using var span = SchedulerTracing.StartFire(jobId, request.ScheduledAt, request.Trigger);
        span?.SetTag(SchedulerTracing.ExecutionIdTag, id);
        var info = await grains.GetGrain<IExecutionGrain>(id).StartAsync(request with { TraceParent = SchedulerTracing.TraceParentOf(span) });
        var records = state.State.Executions;
        var index = records.FindLastIndex(r => r.Id == id);
        if (index < 0)
        {
            // New (a repeated fire of the same instant lands on the same execution and is not counted twice).
            state.State.ExecutionCount++;
            if (!info.IsTerminal)
            {
                records.Add(new ExecutionRecord { Id = id, ScheduledAt = request.ScheduledAt, State = info.State });
            }
            if (records.Count > _recordsCheckAt)
            {
                // An execution that ended while this job was not active (or after its last write) left a stale record:
                // now and then ask the executions themselves, so the list stays as short as what really runs.
                await RunningAsync();
                _recordsCheckAt = Math.Max(MinRecordsCheck, records.Count * 2);
            }
        }
        else if (info.IsTerminal)
        {
            records.RemoveAt(index);
        }
        await PruneHistoryAsync();
        return info;
    }

    /// <summary>
    /// Drops the oldest finished executions beyond the retention bound, found among the executions' rows. Small bounds
    /// are kept exactly; from 100 up, pruning waits until a tenth more have gathered, so that it costs one query per
    /// batch rather than one per execution.
    /// </summary>
    private async Task PruneHistoryAsync()
    {
        var keep = options.CurrentValue.MaxExecutionsPerJob;
        var slack = keep >= 100 ? keep / 10 : 0;
        if (state.State.ExecutionCount <= keep + slack)
        {
            return;
        }
        var beyond = await catalog.FindExecutionsBeyondAsync(jobId, keep, 1000);
        await catalog.DeleteFinishedExecutionsAsync([.. beyond]);
        // Executions still running beyond the bound are found again at the next prune.
        state.State.ExecutionCount = keep;
    }
}
