using System.Diagnostics;
using JobScheduler.Core.Storage;
using JobScheduler.Grains.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Storage;

namespace JobScheduler.Grains.Executions;

/// <summary>
/// Writes an execution's row (its state and history in one). Writes are serialised: a cancel and the run loop may both
/// write, and each must name the version the other left (Orleans 10.4 queues one state's operations too,
/// dotnet/orleans#10255; this lock keeps the guarantee ours). A storage outage is waited out with backoff (the run goes on
/// where it stopped once the database answers again); a version conflict is not retried.
/// </summary>
internal sealed partial class ExecutionWriter(IPersistentState<ExecutionGrainState> state, string executionId, TimeProvider time, ILogger logger)
{
    private const int MaxAttempts = 30;

    private readonly SemaphoreSlim _writing = new(1, 1);

    /// <summary>The execution's place in the active-executions metric, moved after each write.</summary>
    public ExecutionGauge Gauge { get; } = new();

    public async Task WriteAsync()
    {
        await _writing.WaitAsync();
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    var writing = Stopwatch.GetTimestamp();
                    var created = state.Etag is null;
                    await state.WriteStateAsync();
                    SchedulerMetrics.RecordStage(SchedulerMetrics.Persistence, writing);
                    Gauge.Written(state.State, created);
                    return;
                }
                catch (Exception ex) when (ex is not InconsistentStateException && attempt < MaxAttempts)
                {
                    var backoff = StorageBackoff.After(attempt);
                    LogPersistRetry(ex, executionId, attempt, backoff);
                    await Task.Delay(backoff, time);
                }
            }
        }
        finally
        {
            _writing.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Execution {ExecutionId} could not be saved (try {Attempt}); retrying in {Backoff}")]
    private partial void LogPersistRetry(Exception exception, string executionId, int attempt, TimeSpan backoff);
}
