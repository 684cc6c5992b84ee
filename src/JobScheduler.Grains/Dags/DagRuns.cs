using JobScheduler.Core.Storage;
using JobScheduler.Grains.Hosting;
using Microsoft.Extensions.Options;

namespace JobScheduler.Grains.Dags;

/// <summary>
/// A DAG's bookkeeping of its runs, kept in the DAG's state: a record (id, instant, state) of each run not yet
/// finished, for the concurrency policy. The recorded state is a hint until terminal: what runs is asked of the runs.
/// It also keeps the DAG's history bounded by count: at most <see cref="JobSchedulerOptions.MaxExecutionsPerJob"/> runs,
/// the newest (retention by age applies too). One per DAG activation; runs on the grain's scheduler.
/// </summary>
internal sealed class DagRuns(string dagId, IPersistentState<DagGrainState> state, IGrainFactory grains, IDagCatalog catalog, IOptionsMonitor<JobSchedulerOptions> options)
{
    /// <summary>The ids of the DAG's runs that really run now (asked of each); finished ones are dropped from the records.</summary>
    public async Task<List<string>> RunningAsync()
    {
        var running = new List<string>();
        foreach (var record in state.State.Runs.Where(r => r.State == DagRunState.Running))
        {
            var info = await grains.GetGrain<IDagRunGrain>(record.Id).GetAsync();
            record.State = info?.State ?? DagRunState.Cancelled;
            if (record.State == DagRunState.Running)
            {
                running.Add(record.Id);
            }
        }
        state.State.Runs.RemoveAll(r => r.State != DagRunState.Running);
        return running;
    }

    /// <summary>A run ended: kept in memory only, the next write of the DAG persists it.</summary>
    public void Finished(string runId) => state.State.Runs.RemoveAll(r => r.Id == runId);

    /// <summary>Starts the run of <paramref name="request"/> (idempotent: its id derives from the instant) and records it.</summary>
    public async Task<DagRunInfo> StartAsync(DagRunRequest request)
    {
        var id = DagRunId.For(request.DagId, request.ScheduledAt);
        // One trace per run: its span's context goes with the request, stored with the run's row in its first write.
        using var span = SchedulerTracing.StartDagRun(request.DagId, id, request.Trigger);
        request = request with { TraceParent = SchedulerTracing.TraceParentOf(span) };
        var run = await grains.GetGrain<IDagRunGrain>(id).StartAsync(request);
        if (!run.IsTerminal && state.State.Runs.All(r => r.Id != id))
        {
            state.State.Runs.Add(new RunRecord { Id = id, ScheduledAt = request.ScheduledAt, State = run.State });
            state.State.RunCount++;
        }
        await PruneHistoryAsync();
        return run;
    }

    /// <summary>
    /// Drops the oldest finished runs (with their steps' executions) beyond the bound, found among the runs' rows. Small
    /// bounds are kept exactly; from 100 up, pruning waits until a tenth more have gathered, so that it costs a few
    /// queries per batch rather than per run. Runs still going beyond the bound are found again at the next prune.
    /// </summary>
    private async Task PruneHistoryAsync()
    {
        var keep = options.CurrentValue.MaxExecutionsPerJob;
        var slack = keep >= 100 ? keep / 10 : 0;
        if (state.State.RunCount <= keep + slack)
        {
            return;
        }
        var seen = 0;
        string? cursor = null;
        do
        {
            var page = await catalog.QueryRunsAsync(dagId, new DagRunQuery { Limit = CatalogDocuments.MaxLimit, Cursor = cursor });
            foreach (var run in page.Items)
            {
                if (++seen > keep && run.IsTerminal)
                {
                    await grains.GetGrain<IDagRunGrain>(run.Id).ForgetAsync();
                }
            }
            cursor = page.Next;
        }
        while (cursor is not null);
        state.State.RunCount = keep;
    }
}
