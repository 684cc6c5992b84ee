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
    /// Starts <paramref name="stepIds"/>: marks each as started (its next try) in <paramref name="progress"/>, lets the run
    /// record that (<paramref name="started"/>), then starts their executions in parallel. Returns the steps whose
    /// execution turned out to be finished already (a re-attach after a crash), applied to <paramref name="progress"/>.
    /// </summary>
    public async Task<IReadOnlyList<string>> StartAsync(DagRunProgress progress, IReadOnlyList<string> stepIds, DateTimeOffset now, Action started)
    {
        if (stepIds.Count == 0)
        {
            return [];
        }
        foreach (var stepId in stepIds)
        {
            progress.Start(stepId, now);
        }
        started();
        return await AttachAsync(progress, stepIds);
    }

    /// <summary>
    /// Re-attaches to the executions of steps recorded as running (starting one that was never created; starting is
    /// idempotent) and applies those that finished meanwhile; returns their ids.
    /// </summary>
    public async Task<IReadOnlyList<string>> AttachAsync(DagRunProgress progress, IReadOnlyList<string> stepIds)
    {
        var starts = stepIds.Select(async stepId =>
        {
            var executionId = progress.Step(stepId).ExecutionId!;
            var execution = await WithRetriesAsync(
                () => grains.GetGrain<IExecutionGrain>(executionId).StartAsync(RequestFor(progress, stepId)), executionId);
            return (stepId, execution);
        });
        var finished = new List<string>();
        foreach (var (stepId, execution) in await Task.WhenAll(starts))
        {
            if (progress.Finish(stepId, execution))
            {
                finished.Add(stepId);
            }
        }
        return finished;
    }

    /// <summary>
    /// Subscribes a waiting step with the job or DAG it waits for; true when a run that counts exists already and the
    /// step should start now. A step waiting for a job or DAG that does not exist fails.
    /// </summary>
    public async Task<bool> SubscribeAsync(DagRunProgress progress, string stepId, DateTimeOffset now)
    {
        var waitFor = progress.Spec(stepId).WaitFor!;
        var since = progress.WaitSince(waitFor);
        var until = progress.Step(stepId).WaitUntil!.Value;
        var answer = waitFor.Job is { } job
            ? await grains.GetGrain<IJobGrain>(job).AwaitSuccessAsync(runId, stepId, since, until)
            : await grains.GetGrain<IDagGrain>(waitFor.Dag!).AwaitSuccessAsync(runId, stepId, since, until);
        if (!answer.Exists)
        {
            progress.FailWaits(now, stepId, waitFor.Job is { } missing ? $"waitFor: there is no job '{missing}'" : $"waitFor: there is no DAG '{waitFor.Dag}'");
            return false;
        }
        return answer.SatisfiedBy is { } by && progress.Satisfy(stepId, by);
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
