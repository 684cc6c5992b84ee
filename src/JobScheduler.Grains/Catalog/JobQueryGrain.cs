using JobScheduler.Core.Secrets;
using JobScheduler.Core.Storage;
using Orleans.Concurrency;

namespace JobScheduler.Grains.Catalog;

/// <summary>Answers list and count queries from the silo's <see cref="IJobCatalog"/>; secret values are masked.</summary>
[GrainType("job-query"), StatelessWorker]
public sealed class JobQueryGrain(IJobCatalog catalog) : Grain, IJobQueryGrain
{
    public async Task<Page<JobInfo>> QueryJobsAsync(JobQuery query)
    {
        var page = await catalog.QueryJobsAsync(query);
        return page with { Items = [.. page.Items.Select(ActionSecrets.Redact)] };
    }

    public Task<SchedulerStats> GetStatsAsync() => catalog.GetStatsAsync();
}
