using JobScheduler.Grains.Security;
using System.Diagnostics;
using JobScheduler.Core.Executions;
using JobScheduler.Core.Storage;
using JobScheduler.Grains.Actions;
using JobScheduler.Grains.Hosting;
using JobScheduler.Grains.Nodes;
using Orleans.Storage;
using Microsoft.Extensions.Logging;

namespace JobScheduler.Grains.Executions;

/// <summary>
/// One execution: runs its attempts one after another on a background turn of this activation, waiting out
/// backoffs between them, and records each attempt. Its key is derived from the job id and the scheduled
/// instant, so a repeated fire lands on the same grain and <see cref="StartAsync"/> is idempotent. What follows each
/// attempt is <see cref="AttemptPolicy"/>'s decision; finding a node is <see cref="AttemptPlacement"/>'s work, and running
/// the attempt there <see cref="AttemptLink"/>'s.
/// </summary>
[GrainType("execution")]
public sealed partial class ExecutionGrain(
    [PersistentState(StateNames.Execution, StateNames.Provider)] IPersistentState<ExecutionGrainState> state,
    SchedulerClock clock,
    IGrainFactory grains,
    IClusterMembershipService membership,
    LocalNode localNode,
    ActionRunner actions,
    TimeProvider time,
    RandomSource random,
    ILogger<ExecutionGrain> logger) : Grain, IExecutionGrain, IPlacementListener, IOwnedGrain
{
    private static readonly TimeSpan KeepAlivePeriod = TimeSpan.FromMinutes(1);
    /// <summary>
    /// How long a cancel waits for the attempt's end to be recorded before it answers (still running, cancel asked):
    /// well inside the API's grain call limit (<c>JobScheduler:Api:GrainCallTimeout</c>, 10 s), so a slow kill answers
    /// 200 with the state so far rather than a 503.
    /// </summary>
    private static readonly TimeSpan CancelWait = TimeSpan.FromSeconds(5);

    private readonly TaskCompletionSource<ExecutionInfo> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly AttemptPlacement _placement = new(grains, time);
    private readonly AttemptLink _link = new(grains, membership, localNode, actions, time, logger);
    private ExecutionWriter? _writer;
    private CancellationTokenSource? _cancel;
    private bool _firstAttemptRecorded;
    private Task? _run;
    private IGrainTimer? _keepAlive;

    private ExecutionInfo? Info => state.State.Info;

    string? IOwnedGrain.Owner => Info?.Owner;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (Info is null)
        {
            return Task.CompletedTask;
        }
        if (Info.IsTerminal)
        {
            _done.TrySetResult(Info);
        }
        else if (state.State.Request is not null)
        {
            // Stored as unfinished but nothing runs it here: whatever attempt was running died with its node.
            _run = RunAsync();
        }
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _cancel?.Cancel();
        _placement.Interrupt();
        _keepAlive?.Dispose();
        _writer?.Gauge.Forget();
        return Task.CompletedTask;
    }

    public async Task<ExecutionInfo> StartAsync(ExecutionRequest request)
    {
        if (Info is { } existing)
        {
            return existing;
        }
        var now = clock.Now;
        state.State.Request = request;
        state.State.Info = new ExecutionInfo
        {
            Id = this.GetPrimaryKeyString(),
            JobId = request.JobId,
            Owner = request.Owner,
            ScheduledAt = request.ScheduledAt,
            Trigger = request.Trigger,
            DagRunId = request.DagRunId,
            StepId = request.StepId,
            State = ExecutionState.Pending,
            CreatedAt = now,
        };
        if (_link.RunsHere(request))
        {
            // Nothing to reserve and this node takes work: the first attempt is placed here without asking the
            // ledger, and recorded in the same write as the execution itself.
            state.State.Info = state.State.Info with
            {
                State = ExecutionState.Running,
                Attempts = [new AttemptInfo { Number = 1, Node = localNode.Id, StartedAt = now }],
            };
            _firstAttemptRecorded = true;
        }
        await PersistAsync();
        _run = RunAsync();
        return state.State.Info;
    }

    public async Task<ExecutionInfo?> GetAsync()
    {
        if (Info is { IsTerminal: true } && _done.Task.IsCompleted)
        {
            // A finished execution's row may since have been dropped by retention or its job's delete (which do not
            // go through this grain): the row is the truth — once the end is stored. While the end's write is still
            // being retried (storage away), the row holds the state before it, and reading it back would overwrite the
            // end in memory: the retried write would then store the old state, and the execution would stay unfinished
            // in an activation that is alive (chaos seed 31337, finding 14).
            await state.ReadStateAsync();
            return Info;
        }
        // A running attempt's output so far, from its node.
        return Info is { } running ? await _link.WithLiveOutputAsync(running) : null;
    }

    public async Task<ExecutionInfo?> CancelAsync()
    {
        if (Info is null || Info.IsTerminal)
        {
            return Info;
        }
        state.State.CancelRequested = true;
        await PersistAsync();
        _cancel?.Cancel();
        _placement.Interrupt();
        await _link.CancelAsync();
        if (_run is null)
        {
            await FinishAsync(ExecutionState.Cancelled);
        }
        try
        {
            // The run loop records the cancelled attempt once the process tree is gone.
            return await _done.Task.WaitAsync(CancelWait);
        }
        catch (TimeoutException)
        {
            return Info;
        }
    }

    public async Task<ExecutionInfo?> WaitAsync(TimeSpan maxWait)
    {
        try
        {
            // The end is announced once it is stored, not when it is decided: a caller never sees a result a crash
            // could still undo. Real time on purpose: this bounds a long poll, it is not a scheduling decision.
            return await _done.Task.WaitAsync(maxWait, time);
        }
        catch (TimeoutException)
        {
            return Info;
        }
    }

    public async Task<bool> ForgetAsync()
    {
        if (Info is null)
        {
            return true;
        }
        if (!Info.IsTerminal)
        {
            return false;
        }
        try
        {
            await state.ClearStateAsync();
        }
        catch (InconsistentStateException)
        {
            // Retention (or the job's delete) already removed the row: forgotten either way.
            state.State = new ExecutionGrainState();
        }
        DeactivateOnIdle();
        return true;
    }

    private async Task RunAsync()
    {
        _keepAlive = this.RegisterGrainTimer(
            static _ => Task.CompletedTask,
            new GrainTimerCreationOptions { DueTime = KeepAlivePeriod, Period = KeepAlivePeriod, KeepAlive = true });
        try
        {
            await RunAttemptsAsync();
        }
        catch (InconsistentStateException ex)
        {
            // Another activation of this execution wrote after us: it owns the run now; this one steps aside.
            LogSupersededActivation(ex, this.GetPrimaryKeyString());
            DeactivateOnIdle();
        }
        catch (Exception ex)
        {
            // Storage stayed unreachable, or a silo it needed died: leave the execution unfinished in storage and
            // deactivate, so that the recovery sweep re-activates it (and re-runs the interrupted attempt as lost) once
            // storage is back. A failover is a warning, anything else an error.
            if (FailoverExceptions.IsExpected(ex))
            {
                LogRunInterruptedByFailover(this.GetPrimaryKeyString(), FailoverExceptions.Describe(ex));
            }
            else
            {
                LogRunFailed(ex, this.GetPrimaryKeyString());
            }
            DeactivateOnIdle();
        }
        finally
        {
            _keepAlive.Dispose();
            _keepAlive = null;
        }
        if (Info is { IsTerminal: true })
        {
            // Finished: nothing left to do here. The row answers later reads, and a retention delete is then seen at once.
            DeactivateOnIdle();
        }
    }

    private async Task RunAttemptsAsync()
    {
        var request = state.State.Request!;
        var policy = request.Retry ?? new RetryPolicy();
        while (true)
        {
            if (Info!.State == ExecutionState.Retrying && Info.NextAttemptAt is { } resumeAt && !state.State.CancelRequested)
            {
                // Resumed during a backoff: wait out what is left of it (unless a cancel ended the wait).
                await WaitUntilAsync(resumeAt);
            }
            if (AttemptPolicy.BeforeAttempt(policy, Info!.Attempts, state.State.CancelRequested) is { IsFinal: true } end)
            {
                await FinishAsync(end.FinalState);
                return;
            }

            AttemptInfo attempt;
            var resumed = Info.Attempts is [.., { Outcome: null }] && !_firstAttemptRecorded;
            if (_firstAttemptRecorded)
            {
                // Placed and recorded by StartAsync.
                _firstAttemptRecorded = false;
                attempt = Info.Attempts[^1];
            }
            else if (resumed)
            {
                // This grain was re-activated while an attempt ran: find out from its node whether it still runs.
                attempt = Info.Attempts[^1];
            }
            else
            {
                var placing = Stopwatch.GetTimestamp();
                var placed = _link.RunsHere(request) ? localNode.Id : await _placement.PlaceAsync(Info, Info.Attempts.Length + 1, request, () => state.State.CancelRequested);
                SchedulerMetrics.RecordStage(SchedulerMetrics.Placement, placing);
                if (placed is null)
                {
                    await FinishAsync(ExecutionState.Cancelled);
                    return;
                }
                attempt = new AttemptInfo { Number = Info.Attempts.Length + 1, Node = placed, StartedAt = clock.Now };
                await UpdateAsync(Info with { State = ExecutionState.Running, NextAttemptAt = null, Attempts = [.. Info.Attempts, attempt] });
            }

            var running = Stopwatch.GetTimestamp();
            var result = await _link.RunAsync(request, Info.Id, attempt, start: !resumed, () => state.State.CancelRequested);
            SchedulerMetrics.RecordStage(SchedulerMetrics.Run, running);
            var attempts = Info.Attempts.ToArray();
            attempts[^1] = AttemptLink.Finished(attempt, result, clock.Now);
            state.State.Info = Info with { Attempts = attempts };
            LogAttemptFinished(Info.Id, attempt.Number, result.Outcome);

            var next = AttemptPolicy.AfterAttempt(policy, attempts, result.Outcome, state.State.CancelRequested, clock.Now, random.NextDouble());
            switch (next.Kind)
            {
                case AttemptStepKind.RetryNow:
                    // A lost attempt does not use up a retry: record it and place the next one at once.
                    SchedulerMetrics.RecordRetry(lost: true);
                    await UpdateAsync(Info with { State = ExecutionState.Pending });
                    continue;
                case AttemptStepKind.WaitThenRun:
                    SchedulerMetrics.RecordRetry(lost: false);
                    await UpdateAsync(Info with { State = ExecutionState.Retrying, NextAttemptAt = next.NextAttemptAt });
                    await WaitUntilAsync(next.NextAttemptAt!.Value);
                    continue;
                default:
                    await FinishAsync(next.FinalState);
                    return;
            }
        }
    }

    public Task PlacedAsync(int attempt, string nodeId)
    {
        if (Info is null || Info.IsTerminal)
        {
            // Nobody is waiting any more: give the capacity back.
            return GrainFactory.GetGrain<ICapacityLedgerGrain>(0).ReleaseAsync(this.GetPrimaryKeyString());
        }
        _placement.Placed(nodeId);
        return Task.CompletedTask;
    }

    /// <summary>Waits until the scheduler clock reads <paramref name="instant"/>, or a cancel (the run loop's next check then finishes the execution).</summary>
    private async Task WaitUntilAsync(DateTimeOffset instant)
    {
        using var wait = new CancellationTokenSource();
        _cancel = wait;
        await clock.WaitUntilAsync(instant, wait.Token).ConfigureAwait(ConfigureAwaitOptions.ContinueOnCapturedContext | ConfigureAwaitOptions.SuppressThrowing);
        _cancel = null;
    }

    private async Task FinishAsync(ExecutionState final)
    {
        await UpdateAsync(Info! with { State = final, FinishedAt = clock.Now, NextAttemptAt = null });
        SchedulerMetrics.RecordFinished(final);
        _done.TrySetResult(Info!);
    }

    private async Task UpdateAsync(ExecutionInfo info)
    {
        state.State.Info = info;
        await PersistAsync();
        if (!info.IsTerminal)
        {
            return;
        }
        if (state.State.Request is { DagRunId: { } runId, StepId: { } stepId })
        {
            // A DAG step: its run decides what follows (the outputs travel with the report; the output text does not).
            await GrainFactory.GetGrain<IDagRunGrain>(runId).StepFinishedAsync(stepId, CatalogDocuments.WithoutOutput(info));
        }
        else
        {
            // The job keeps each execution's state as a hint (it asks the execution when it matters); only the end is news.
            await GrainFactory.GetGrain<IJobGrain>(info.JobId).ExecutionChangedAsync(info.Id, info.State);
        }
    }

    private Task PersistAsync() => (_writer ??= new ExecutionWriter(state, this.GetPrimaryKeyString(), time, logger)).WriteAsync();
}
