using System.Diagnostics;
using JobScheduler.Core.Dags;
using JobScheduler.Grains.Hosting;
using JobScheduler.Grains.Nodes;
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
    private const int MaxAttempts = 20;

    private Task _starting = Task.CompletedTask;

    /// <summary>
    /// Starts the executions of steps <paramref name="progress"/> records as running (starting is idempotent: one that
    /// exists answers as it is) and returns them as they answered.
    /// </summary>
    public async Task<IReadOnlyList<(string StepId, ExecutionInfo Execution)>> LaunchAsync(DagRunProgress progress, IReadOnlyList<string> stepIds)
    {
        var starts = stepIds.Select(async stepId =>
        {
            var executionId = progress.Step(stepId).ExecutionId!;
            using var span = SchedulerTracing.StartDagStep(request.TraceParent, runId, stepId, executionId);
            var stepRequest = RequestFor(progress, stepId) with { TraceParent = SchedulerTracing.TraceParentOf(span) };
            var execution = await WithRetriesAsync(
                () => grains.GetGrain<IExecutionGrain>(executionId).StartAsync(stepRequest), executionId);
            return (stepId, execution);
        });
        return await Task.WhenAll(starts);
    }

    /// <summary>
    /// Starts the executions of <paramref name="stepIds"/> without holding the run's turn while they are created: a
    /// fan-out of hundreds of steps takes a while to start, and the ends of the first branches must not queue behind
    /// the start of the last (they did: the join of a 1,000-step fan-out started 0.1–0.2 s after its last branch ended).
    /// An execution that answers already finished (a re-attach) is reported to the run (<paramref name="run"/>) in a
    /// turn of its own, as its own report would come. A start refused for good (storage stayed away through the
    /// retries) calls <paramref name="onFailure"/>: the run deactivates, and the recovery sweep re-activates it from
    /// its row, re-attaching to every step recorded as running.
    /// </summary>
    public void StartInBackground(DagRunProgress progress, IReadOnlyList<string> stepIds, IDagRunGrain run, Action onFailure)
    {
        var starting = ReportStartsAsync(Stopwatch.GetTimestamp(), LaunchAsync(progress, stepIds), run, onFailure);
        _starting = _starting.IsCompleted ? starting : Task.WhenAll(_starting, starting);
    }

    /// <summary>Completes once every start under way has answered (a cancel waits for it, or it would reach a step before its start).</summary>
    public Task StartsSettledAsync() => _starting;

    private async Task ReportStartsAsync(long startTimestamp, Task<IReadOnlyList<(string StepId, ExecutionInfo Execution)>> starts, IDagRunGrain run, Action onFailure)
    {
        try
        {
            var started = await starts;
            SchedulerMetrics.RecordStage(SchedulerMetrics.StepStart, startTimestamp);
            foreach (var (stepId, execution) in started.Where(s => s.Execution.IsTerminal))
            {
                await run.StepFinishedAsync(stepId, execution);
            }
        }
        catch (Exception ex)
        {
            if (FailoverExceptions.IsExpected(ex))
            {
                LogStartInterruptedByFailover(runId, FailoverExceptions.Describe(ex));
            }
            else
            {
                LogStartFailed(ex, runId);
            }
            onFailure();
        }
    }

    /// <summary>
    /// Re-attaches to the executions of steps recorded as running (after a re-activation: one never created is started
    /// now) and applies those that finished meanwhile to <paramref name="progress"/>.
    /// </summary>
    public async Task AttachAsync(DagRunProgress progress, IReadOnlyList<string> stepIds)
    {
        foreach (var (stepId, execution) in await LaunchAsync(progress, stepIds))
        {
            progress.Finish(stepId, execution);
        }
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
                var backoff = StorageBackoff.After(attempt);
                LogStartRetry(ex, executionId, attempt, backoff);
                await Task.Delay(backoff, time);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "DAG run {RunId} could not start a step; it resumes from its row once storage answers")]
    private partial void LogStartFailed(Exception exception, string runId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "DAG run {RunId} could not start a step while a silo failed over ({Failure}); it resumes from its row when the maintenance sweep re-activates it")]
    private partial void LogStartInterruptedByFailover(string runId, string failure);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Step execution {ExecutionId} could not be started (try {Attempt}); retrying in {Backoff}")]
    private partial void LogStartRetry(Exception exception, string executionId, int attempt, TimeSpan backoff);
}
