using JobScheduler.Core.Secrets;
using JobScheduler.Core.Storage;
using Orleans.Concurrency;

namespace JobScheduler.Grains.Catalog;

/// <summary>Answers DAG list queries from the silo's <see cref="IDagCatalog"/>; secret values are masked.</summary>
[GrainType("dag-query"), StatelessWorker]
public sealed class DagQueryGrain(IDagCatalog catalog) : Grain, IDagQueryGrain
{
    public async Task<Page<DagInfo>> QueryDagsAsync(DagQuery query)
    {
        var page = await catalog.QueryDagsAsync(query);
        return page with { Items = [.. page.Items.Select(ActionSecrets.Redact)] };
    }
}
