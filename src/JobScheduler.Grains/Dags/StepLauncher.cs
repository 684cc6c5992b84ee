using JobScheduler.Core.Dags;
using Microsoft.Extensions.Logging;

namespace JobScheduler.Grains.Dags;

/// <summary>
/// A DAG run's hands: starts a step as an execution (same attempts, retries, placement and history as a job's),
/// subscribes a <c>waitFor</c> step with the job or DAG it waits for, and cancels running steps. Execution ids derive
/// from the run, the step and its try, so starting a step twice (after a crash, say) reaches the same execution.
/// One per run activation; runs on the grain's scheduler.
/// </summary>
internal sealed partial class StepLauncher(string runId, DagRunRequest request, IGrainFactory grains, TimeProvider time, ILogger logger)
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);
    private const int MaxAttempts = 20;

    /// <summary>
    /// Starts the steps <paramref name="progress"/> has just marked running (or re-attaches to their executions after a
    /// re-activation) and returns the executions as they answered; one already finished is applied by the caller.
    /// </summary>
    public async Task<IReadOnlyList<(string StepId, ExecutionInfo Execution)>> StartAsync(DagRunProgress progress, IEnumerable<string> stepIds)
    {
        var starts = stepIds.Select(async stepId =>
        {
            var step = progress.Step(stepId);
            var execution = await WithRetriesAsync(
                () => grains.GetGrain<IExecutionGrain>(step.ExecutionId!).StartAsync(RequestFor(progress, stepId)), step.ExecutionId!);
            return (stepId, execution);
        });
        return await Task.WhenAll(starts);
    }

    /// <summary>Subscribes a waiting step with what it waits for.</summary>
    public Task<WaitAnswer> SubscribeAsync(DagRunProgress progress, string stepId)
    {
        var waitFor = progress.Spec(stepId).WaitFor!;
        var since = progress.WaitSince(waitFor);
        var until = progress.Step(stepId).WaitUntil!.Value;
        return waitFor.Job is { } job
            ? grains.GetGrain<IJobGrain>(job).AwaitSuccessAsync(runId, stepId, since, until)
            : grains.GetGrain<IDagGrain>(waitFor.Dag!).AwaitSuccessAsync(runId, stepId, since, until);
    }

    /// <summary>Cancels the executions of <paramref name="steps"/> (each kills its process tree) and returns how they ended.</summary>
    public async Task<IReadOnlyList<(string StepId, ExecutionInfo? Execution)>> CancelAsync(IEnumerable<DagStepRunInfo> steps)
    {
        var cancels = steps.Select(async step => (step.Id, await grains.GetGrain<IExecutionGrain>(step.ExecutionId!).CancelAsync()));
        return await Task.WhenAll(cancels);
    }

    private ExecutionRequest RequestFor(DagRunProgress progress, string stepId)
    {
        var spec = progress.Spec(stepId);
        return new ExecutionRequest
        {
            JobId = DagRunId.StepJobId(request.DagId, stepId),
            Owner = request.Owner,
            ScheduledAt = request.ScheduledAt,
            Trigger = "dag",
            Action = spec.Action!,
            Retry = spec.Retry,
            Timeout = spec.Timeout,
            Priority = spec.Priority,
            Resources = spec.Resources,
            DagRunId = runId,
            StepId = stepId,
            Inputs = progress.InputsFor(stepId),
        };
    }

    /// <summary>A start is idempotent, so a storage outage is waited out rather than leaving the step without an execution.</summary>
    private async Task<ExecutionInfo> WithRetriesAsync(Func<Task<ExecutionInfo>> start, string executionId)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await start();
            }
            catch (Exception ex) when (attempt < MaxAttempts)
            {
                var backoff = TimeSpan.FromMilliseconds(Math.Min(MaxBackoff.TotalMilliseconds, 250 * Math.Pow(2, attempt - 1)));
                LogStartRetry(ex, executionId, attempt, backoff);
                await Task.Delay(backoff, time);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Step execution {ExecutionId} could not be started (try {Attempt}); retrying in {Backoff}")]
    private partial void LogStartRetry(Exception exception, string executionId, int attempt, TimeSpan backoff);
}
