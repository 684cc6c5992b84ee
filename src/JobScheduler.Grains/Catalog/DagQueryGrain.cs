using JobScheduler.Core.Storage;
using Orleans.Concurrency;

namespace JobScheduler.Grains.Catalog;

/// <summary>Answers DAG list queries from the silo's <see cref="IDagCatalog"/>.</summary>
[GrainType("dag-query"), StatelessWorker]
public sealed class DagQueryGrain(IDagCatalog catalog) : Grain, IDagQueryGrain
{
    public Task<Page<DagInfo>> QueryDagsAsync(DagQuery query) => catalog.QueryDagsAsync(query);
}
