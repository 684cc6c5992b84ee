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
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
