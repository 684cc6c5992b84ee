using JobScheduler.Grains.Nodes;
using Microsoft.Extensions.Logging;

namespace JobScheduler.Grains.Dags;

/// <summary>
/// How a DAG run does its work outside a caller's request: in turns of its own, and guarded. When work fails (storage,
/// or a step's start, stayed unreachable through their retries) the run deactivates: its row still says running, so the
/// maintenance sweep re-activates it, and the re-activation re-attaches to what was started and starts the rest
/// (execution ids are deterministic). One per run activation; runs on the grain's scheduler.
/// </summary>
internal sealed partial class GuardedTurns(Grain grain, Action deactivate, string runId, ILogger logger)
{
    /// <summary>Runs <paramref name="work"/>; on failure logs it and deactivates the run.</summary>
    public async Task RunAsync(Func<Task> work)
    {
        try
        {
            await work();
        }
        catch (Exception ex)
        {
            if (FailoverExceptions.IsExpected(ex))
            {
                LogAdvanceInterruptedByFailover(runId, FailoverExceptions.Describe(ex));
            }
            else
            {
                LogAdvanceFailed(ex, runId);
            }
            deactivate();
        }
    }

    /// <summary>Runs <paramref name="work"/> (guarded) in a turn of its own once the current one ends: a one-shot grain timer.</summary>
    public void AfterThisTurn(Func<Task> work)
    {
        IGrainTimer? timer = null;
        timer = grain.RegisterGrainTimer(
            async _ =>
            {
                timer?.Dispose();
                await RunAsync(work);
            },
            new GrainTimerCreationOptions { DueTime = TimeSpan.Zero, Period = Timeout.InfiniteTimeSpan });
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "DAG run {RunId} could not go on; it resumes from its row when the maintenance sweep re-activates it")]
    private partial void LogAdvanceFailed(Exception exception, string runId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "DAG run {RunId} could not go on while a silo failed over ({Failure}); it resumes from its row when the maintenance sweep re-activates it")]
    private partial void LogAdvanceInterruptedByFailover(string runId, string failure);
}
