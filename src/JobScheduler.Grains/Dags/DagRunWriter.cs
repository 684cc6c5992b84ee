using JobScheduler.Core.Storage;
using Microsoft.Extensions.Logging;
using Orleans.Storage;

namespace JobScheduler.Grains.Dags;

/// <summary>
/// Writes a DAG run's row, coalescing: changes that arrive while a write is in flight go out together in the next one,
/// so a 1,000-step fan-out costs a few writes of the run, not one per step. A write takes the state as it is when it
/// starts. A storage outage is waited out with backoff; a version conflict (another activation wrote) is not retried.
/// </summary>
internal sealed partial class DagRunWriter(IPersistentState<DagRunGrainState> state, string runId, TimeProvider time, ILogger logger)
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);
    private const int MaxAttempts = 30;

    private readonly SemaphoreSlim _writing = new(1, 1);
    private long _requested;
    private long _written;

    /// <summary>Writes the current state (or waits for a write that started after this call and so includes it).</summary>
    public async Task WriteAsync()
    {
        var wanted = ++_requested;
        await _writing.WaitAsync();
        try
        {
            if (_written >= wanted)
            {
                return;
            }
            var covers = _requested;
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await state.WriteStateAsync();
                    _written = covers;
                    return;
                }
                catch (Exception ex) when (ex is not InconsistentStateException && attempt < MaxAttempts)
                {
                    var backoff = TimeSpan.FromMilliseconds(Math.Min(MaxBackoff.TotalMilliseconds, 250 * Math.Pow(2, attempt - 1)));
                    LogWriteRetry(ex, runId, attempt, backoff);
                    await Task.Delay(backoff, time);
                }
            }
        }
        finally
        {
            _writing.Release();
        }
    }

    /// <summary>
    /// Writes without waiting; when the write fails for good — another activation wrote after this one, or storage stayed
    /// away through every retry — it is logged and <paramref name="onFailure"/> runs (the grain steps aside; its row, and
    /// a later re-activation from it, are the truth).
    /// </summary>
    public void WriteInBackground(Action onFailure) => _ = WriteOrGiveUpAsync(onFailure);

    private async Task WriteOrGiveUpAsync(Action onFailure)
    {
        try
        {
            await WriteAsync();
        }
        catch (InconsistentStateException ex)
        {
            LogSuperseded(ex, runId);
            onFailure();
        }
        catch (Exception ex)
        {
            LogWriteFailed(ex, runId);
            onFailure();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "DAG run {RunId} was written by another activation; this one steps aside")]
    private partial void LogSuperseded(Exception exception, string runId);

    [LoggerMessage(Level = LogLevel.Error, Message = "DAG run {RunId} could not be saved; it resumes from its row once storage answers")]
    private partial void LogWriteFailed(Exception exception, string runId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "DAG run {RunId} could not be saved (try {Attempt}); retrying in {Backoff}")]
    private partial void LogWriteRetry(Exception exception, string runId, int attempt, TimeSpan backoff);
}
