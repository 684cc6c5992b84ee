using System.Diagnostics;
using System.Net.Http.Json;
using JobScheduler.Api;
using JobScheduler.Client;

namespace JobScheduler.Benchmarks;

/// <summary>What a workload works with: the options, a run id that keeps job ids unique, and the current host (the scale workload replaces it).</summary>
internal sealed class Bench(BenchmarkOptions options, string run, BenchHost host)
{
    /// <summary>SDK calls in flight when submitting one job per call, and when triggering.</summary>
    public const int SdkConcurrency = 64;

    /// <summary>Batch calls in flight (SDK: 1000 jobs each; REST: <see cref="RestChunk"/> each).</summary>
    public const int BatchesInFlight = 4;

    public const int RestChunk = 500;

    public BenchmarkOptions Options { get; } = options;

    public string Run { get; } = run;

    public BenchHost Host { get; set; } = host;

    public IJobSchedulerClient Client => Host.Client;

    public string SubmitName => Options.Submit.ToString().ToLowerInvariant();

    /// <summary>Submits <paramref name="count"/> jobs by the chosen path; returns jobs per second. Throws if any job was not stored.</summary>
    public async Task<double> SubmitAsync(int count, Func<int, (string Id, JobSpec Spec)> job)
    {
        var clock = Stopwatch.StartNew();
        switch (Options.Submit)
        {
            case SubmitPath.Sdk:
                await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = SdkConcurrency }, async (i, _) =>
                {
                    var (id, spec) = job(i);
                    await Client.ScheduleAsync(id, spec);
                });
                break;
            case SubmitPath.Batch:
                await InChunksAsync(count, JobBatch.MaxItems, async range =>
                {
                    var results = await Client.ScheduleManyAsync([.. range.Select(i => job(i)).Select(j => new JobBatchItem(j.Id, j.Spec))]);
                    if (results.FirstOrDefault(r => !r.IsStored) is { } failed)
                    {
                        throw new InvalidOperationException($"Job {failed.Id} was not stored: {string.Join("; ", failed.Errors)}");
                    }
                });
                break;
            case SubmitPath.Rest:
                await InChunksAsync(count, RestChunk, async range =>
                {
                    var body = new JobBatchRequest { Jobs = [.. range.Select(i => job(i)).Select(j => ToRequestItem(j.Id, j.Spec))] };
                    using var response = await Host.Http.PostAsJsonAsync("/api/jobs/batch", body, JobSchedulerJson.Options);
                    if (!response.IsSuccessStatusCode)
                    {
                        throw new InvalidOperationException($"POST /api/jobs/batch answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                    }
                    var answer = await response.Content.ReadFromJsonAsync<JobBatchResponse>(JobSchedulerJson.Options);
                    if (answer!.Results.FirstOrDefault(r => r.Status is not (200 or 201)) is { } failed)
                    {
                        throw new InvalidOperationException($"Job {failed.Id} was not stored ({failed.Status}): {string.Join("; ", failed.Errors)}");
                    }
                });
                break;
        }
        return count / clock.Elapsed.TotalSeconds;
    }

    private static Task InChunksAsync(int count, int chunk, Func<IEnumerable<int>, Task> send) =>
        Parallel.ForAsync(0, (count + chunk - 1) / chunk, new ParallelOptions { MaxDegreeOfParallelism = BatchesInFlight },
            async (c, _) => await send(Enumerable.Range(c * chunk, Math.Min(chunk, count - c * chunk))));

    private static JobBatchRequestItem ToRequestItem(string id, JobSpec spec) => new()
    {
        Id = id,
        Name = spec.Name,
        Schedule = spec.Schedule,
        Action = spec.Action,
        Retry = spec.Retry,
        Timeout = spec.Timeout,
        Resources = spec.Resources,
        Priority = spec.Priority,
        Concurrency = spec.Concurrency,
        Misfire = spec.Misfire,
        Tags = spec.Tags,
    };
}
