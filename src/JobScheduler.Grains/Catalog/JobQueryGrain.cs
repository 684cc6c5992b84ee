using JobScheduler.Core.Storage;
using Orleans.Concurrency;

namespace JobScheduler.Grains.Catalog;

/// <summary>Answers list and count queries from the silo's <see cref="IJobCatalog"/>.</summary>
[GrainType("job-query"), StatelessWorker]
public sealed class JobQueryGrain(IJobCatalog catalog) : Grain, IJobQueryGrain
{
    public Task<Page<JobInfo>> QueryJobsAsync(JobQuery query) => catalog.QueryJobsAsync(query);

    public Task<SchedulerStats> GetStatsAsync() => catalog.GetStatsAsync();
}
