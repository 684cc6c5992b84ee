using JobScheduler.Core.Storage;
using JobScheduler.Grains.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Storage;

namespace JobScheduler.Grains.Dags;

/// <summary>
/// Writes a DAG run's row, coalescing: changes that arrive while a write is in flight go out together in the next one,
/// so a 1,000-step fan-out costs a few writes of the run, not one per step. A write takes the state as it is when it
/// starts. A storage outage is waited out with backoff; a version conflict (another activation wrote) is not retried.
/// <para>Writes the run does not wait for (<see cref="WriteLaterAsync"/>: its steps' progress, which a re-activated run
/// re-learns from the executions anyway) also keep their distance: the next one starts no sooner than
/// <see cref="Spacing"/> times the last write's duration after it ended. The row holds every step, so a write of a
/// 1,000-step run takes milliseconds of serialisation on the run's own turn; written after every step's end, they took
/// most of the run's time and held up the steps' reports behind them.</para>
/// </summary>
internal sealed partial class DagRunWriter(IPersistentState<DagRunGrainState> state, string runId, TimeProvider time, ILogger logger)
{
    private const int MaxAttempts = 30;

    /// <summary>A write the run does not wait for waits this many times the last write's duration after it (at most <see cref="MaxGap"/>).</summary>
    private const int Spacing = 4;

    private static readonly TimeSpan MaxGap = TimeSpan.FromSeconds(1);

    private readonly SemaphoreSlim _writing = new(1, 1);
    private long _requested;
    private long _written;
    private long _lastEnded;
    private TimeSpan _lastDuration;
    private Task? _later;

    /// <summary>Writes the current state (or waits for a write that started after this call and so includes it).</summary>
    public Task WriteAsync() => WriteCoveringAsync(++_requested);

    /// <summary>
    /// Writes the current state soon: after the gap the last write earns, together with every change made until then.
    /// A <see cref="WriteAsync"/> meanwhile covers it (nothing more is written).
    /// </summary>
    public Task WriteLaterAsync()
    {
        ++_requested;
        return _later ??= WriteAfterGapAsync();
    }

    private async Task WriteAfterGapAsync()
    {
        var gap = TimeSpan.FromTicks(Math.Min(MaxGap.Ticks, _lastDuration.Ticks * Spacing)) - time.GetElapsedTime(_lastEnded);
        if (_lastEnded != 0 && gap > TimeSpan.Zero)
        {
            await Task.Delay(gap, time);
        }
        else
        {
            // Never complete synchronously: the caller must hold this task in _later before it is let go below.
            await Task.Yield();
        }
        // Changes from here on are taken by this write (it reads the state when it starts) or ask for another.
        _later = null;
        await WriteCoveringAsync(_requested);
    }

    private async Task WriteCoveringAsync(long wanted)
    {
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
                    var writing = time.GetTimestamp();
                    await state.WriteStateAsync();
                    _lastEnded = time.GetTimestamp();
                    _lastDuration = time.GetElapsedTime(writing, _lastEnded);
                    SchedulerMetrics.RecordStage(SchedulerMetrics.DagWrite, _lastDuration);
                    _written = covers;
                    return;
                }
                catch (Exception ex) when (ex is not InconsistentStateException && attempt < MaxAttempts)
                {
                    var backoff = StorageBackoff.After(attempt);
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
    /// Writes soon (<see cref="WriteLaterAsync"/>) without waiting; when the write fails for good — another activation wrote after this one, or storage stayed
    /// away through every retry — it is logged and <paramref name="onFailure"/> runs (the grain steps aside; its row, and
    /// a later re-activation from it, are the truth).
    /// </summary>
    public void WriteInBackground(Action onFailure) => _ = WriteOrGiveUpAsync(onFailure);

    private async Task WriteOrGiveUpAsync(Action onFailure)
    {
        try
        {
            await WriteLaterAsync();
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
