using Microsoft.Extensions.Logging;

namespace JobScheduler.Grains.Jobs;

public sealed partial class JobGrain
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} {Change}; next fire at {NextFireAt}")]
    private partial void LogJobSaved(string jobId, string change, DateTimeOffset? nextFireAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} deleted")]
    private partial void LogJobDeleted(string jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} skipped {Count} missed fire time(s) under misfire policy {Policy}")]
    private partial void LogMisfireSkipped(string jobId, long count, MisfirePolicy policy);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} skipped the fire at {Instant}: execution {Running} is still running (concurrency: forbid)")]
    private partial void LogFireSkippedForbid(string jobId, DateTimeOffset instant, string running);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} could not record its fires; trying again in {RetryIn}")]
    private partial void LogFireFailed(Exception exception, string jobId, TimeSpan retryIn);
}
