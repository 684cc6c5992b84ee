using Microsoft.Extensions.Options;

namespace JobScheduler.Api;

/// <summary>Limits of the REST API, bound from <c>JobScheduler:Api</c> (docs/security.md, "Input limits").</summary>
public sealed class JobSchedulerApiOptions
{
    public const string Section = "JobScheduler:Api";

    /// <summary>The largest request body of every route but the job batch, in bytes; larger answers 413. Default 1 MiB (1048576).</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// The largest body of <c>POST /api/jobs/batch</c>, in bytes: up to <see cref="JobBatch.MaxItems"/> jobs of about a
    /// kilobyte each, with room to spare. Default 8 MiB (8388608).
    /// </summary>
    public long MaxBatchRequestBodyBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>
    /// How long the REST front door in its own process (<c>JobScheduler:Role=Api</c>) waits for a grain call before the
    /// request answers 503 with <c>Retry-After</c>: the Orleans client's response timeout. A call already sent to a silo
    /// that then dies or freezes is never answered, and Orleans' client does not give it up when the silo is declared
    /// dead, so without this bound it waits Orleans' default of 30 s. Every route's grain calls take well under a second
    /// (a 1,000-job batch about 0.5 s, docs/benchmarks.md). The call is not cancelled: work that was slow rather than lost
    /// still completes. Where the API shares a process with a silo (<c>Role=All</c>) its calls are the silo's and this
    /// setting does not apply (docs/cluster.md). Default 10 s.
    /// </summary>
    public TimeSpan GrainCallTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The per-user request limit of the authenticated routes (<c>JobScheduler:Api:RateLimit</c>).</summary>
    public ApiRateLimitOptions RateLimit { get; set; } = new();
}

/// <summary>
/// A token bucket per caller (the user, or the owner of the API key), bound from <c>JobScheduler:Api:RateLimit</c>
/// (docs/security.md, "Rate limits"). Limits are per process.
/// </summary>
public sealed class ApiRateLimitOptions
{
    /// <summary>Requests one caller may make per second, on average; 0 turns the limit off. Default 100.</summary>
    public int PermitsPerSecond { get; set; } = 100;

    /// <summary>Requests one caller may make at once after being idle (the bucket's size). Default 200.</summary>
    public int Burst { get; set; } = 200;
}

internal sealed class JobSchedulerApiOptionsValidator : IValidateOptions<JobSchedulerApiOptions>
{
    public ValidateOptionsResult Validate(string? name, JobSchedulerApiOptions options)
    {
        var failures = new List<string>();
        if (options.MaxRequestBodyBytes < 1024)
        {
            failures.Add($"{JobSchedulerApiOptions.Section}:MaxRequestBodyBytes must be at least 1024.");
        }
        if (options.MaxBatchRequestBodyBytes < 1024)
        {
            failures.Add($"{JobSchedulerApiOptions.Section}:MaxBatchRequestBodyBytes must be at least 1024.");
        }
        if (options.GrainCallTimeout < TimeSpan.FromSeconds(1) || options.GrainCallTimeout > TimeSpan.FromMinutes(10))
        {
            failures.Add($"{JobSchedulerApiOptions.Section}:GrainCallTimeout must be between 00:00:01 and 00:10:00.");
        }
        if (options.RateLimit.PermitsPerSecond < 0)
        {
            failures.Add($"{JobSchedulerApiOptions.Section}:RateLimit:PermitsPerSecond must be 0 (off) or more.");
        }
        if (options.RateLimit.PermitsPerSecond > 0 && options.RateLimit.Burst < 1)
        {
            failures.Add($"{JobSchedulerApiOptions.Section}:RateLimit:Burst must be at least 1.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
