using JobScheduler.Core;
using Orleans.Concurrency;

namespace JobScheduler.Grains.Jobs;

/// <summary>
/// Fans a batch out to the job grains, at most <see cref="JobBatch.MaxInFlight"/> writes at a time, and gathers
/// their results in input order. Reentrant: it holds no state and spends its time waiting on other grains.
/// </summary>
[GrainType("job-batch"), StatelessWorker, Reentrant]
public sealed class JobBatchGrain : Grain, IJobBatchGrain
{
    public async Task<JobBatchWriteResult> PutManyAsync(JobBatchItem[] items, string owner)
    {
        if (JobBatch.Validate(items) is { Count: > 0 } errors)
        {
            return new JobBatchWriteResult { Errors = [.. errors] };
        }
        var results = new JobWriteResult[items.Length];
        using var slots = new SemaphoreSlim(JobBatch.MaxInFlight);
        await Task.WhenAll(items.Select(async (item, i) =>
        {
            await slots.WaitAsync();
            try
            {
                results[i] = await PutAsync(item, owner);
            }
            finally
            {
                slots.Release();
            }
        }));
        return new JobBatchWriteResult { Results = results };
    }

    private Task<JobWriteResult> PutAsync(JobBatchItem item, string owner)
    {
        if (item.Id is null)
        {
            return GrainFactory.GetGrain<IJobGrain>(Guid.CreateVersion7().ToString("n")).PutAsync(item.Spec, owner, createOnly: true);
        }
        // Checked here too so that an id no grain could be keyed by fails this item alone.
        return JobSpecValidator.ValidateId(item.Id) is { Count: > 0 } errors
            ? Task.FromResult(new JobWriteResult { Errors = [.. errors] })
            : GrainFactory.GetGrain<IJobGrain>(item.Id).PutAsync(item.Spec, owner, createOnly: false);
    }
}
