using System.Diagnostics;
using JobScheduler.Core;
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
/// instant, so a repeated fire lands on the same grain and <see cref="StartAsync"/> is idempotent.
/// </summary>
[GrainType("execution")]
public sealed partial class ExecutionGrain(
    [PersistentState(StateNames.Execution, StateNames.Provider)] IPersistentState<ExecutionGrainState> state,
    SchedulerClock clock,
    IClusterMembershipService membership,
    LocalNode localNode,
    ActionRunner actions,
    TimeProvider time,
    RandomSource random,
    ILogger<ExecutionGrain> logger) : Grain, IExecutionGrain, IPlacementListener
{
    private static readonly TimeSpan KeepAlivePeriod = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan CancelWait = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan MaxPersistBackoff = TimeSpan.FromSeconds(5);
    private const int MaxPersistAttempts = 30;

    private readonly TaskCompletionSource<ExecutionInfo> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private static readonly TimeSpan PlacementRecheck = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan RunnerWaitSlice = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RunnerRetryDelay = TimeSpan.FromMilliseconds(500);

    private readonly SemaphoreSlim _writing = new(1, 1);
    private CancellationTokenSource? _cancel;
    private TaskCompletionSource<string>? _placed;
    private string? _placedNode;
    private IAttemptRunnerGrain? _runner;
    private LiveAttempt? _localAttempt;
    private bool _firstAttemptRecorded;
    private Task? _run;
    private IGrainTimer? _keepAlive;

    private ExecutionInfo? Info => state.State.Info;

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
        _keepAlive?.Dispose();
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
            State = ExecutionState.Pending,
            CreatedAt = now,
        };
        if (RunsHere(request))
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
        if (Info is { IsTerminal: true })
        {
            // A finished execution's row may since have been dropped by retention or its job's delete (which do not
            // go through this grain): the row is the truth.
            await state.ReadStateAsync();
        }
        return Info;
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
        if (_localAttempt is { } local)
        {
            await local.Cancel.CancelAsync();
        }
        else if (_runner is { } runner)
        {
            await runner.CancelAsync();
        }
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
            // Storage stayed unreachable: leave the execution unfinished in storage and deactivate, so that the
            // recovery sweep re-activates it (and re-runs the interrupted attempt as lost) once storage is back.
            LogRunFailed(ex, this.GetPrimaryKeyString());
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
            if (Info!.State == ExecutionState.Retrying && Info.NextAttemptAt is { } resumeAt)
            {
                // Resumed during a backoff: wait out what is left of it.
                await WaitUntilAsync(resumeAt);
            }
            if (state.State.CancelRequested)
            {
                await FinishAsync(ExecutionState.Cancelled);
                return;
            }
            // Attempts that used up a retry: finished and not lost (an attempt still in flight, when resumed, is neither).
            var used = Info!.Attempts.Count(a => a.Outcome is { } outcome && outcome != AttemptOutcome.Lost);
            if (used >= policy.MaxAttempts)
            {
                await FinishAsync(ExecutionState.Failed);
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
                var placed = RunsHere(request) ? localNode.Id : await PlaceAsync(Info.Attempts.Length + 1, request);
                SchedulerMetrics.RecordStage(SchedulerMetrics.Placement, placing);
                if (placed is null)
                {
                    await FinishAsync(ExecutionState.Cancelled);
                    return;
                }
                attempt = new AttemptInfo { Number = Info.Attempts.Length + 1, Node = placed, StartedAt = clock.Now };
                await UpdateAsync(Info with { State = ExecutionState.Running, NextAttemptAt = null, Attempts = [.. Info.Attempts, attempt] });
            }

            var attemptRequest = new AttemptRequest(request.JobId, Info.Id, attempt.Number, request.ScheduledAt, request.Action, request.Timeout,
                request.Resources?.CpuMillis ?? 0, request.Resources?.MemoryMb ?? 0, request.Resources?.Limits);
            ActionResult result;
            var running = Stopwatch.GetTimestamp();
            if (IsFree(request) && attempt.Node == localNode.Id)
            {
                // Reserved nothing and runs on this node: no ledger, no runner grain.
                result = await RunHereAsync(attemptRequest, start: !resumed);
            }
            else
            {
                try
                {
                    result = await RunOnNodeAsync(attempt.Node, attemptRequest, start: !resumed);
                }
                finally
                {
                    await GrainFactory.GetGrain<ICapacityLedgerGrain>(0).ReleaseAsync(Info.Id);
                }
            }
            SchedulerMetrics.RecordStage(SchedulerMetrics.Run, running);

            var finished = attempt with
            {
                FinishedAt = clock.Now,
                Outcome = result.Outcome,
                ExitCode = result.ExitCode,
                HttpStatus = result.HttpStatus,
                Error = result.Error,
                Output = result.Output,
                OutputTruncated = result.OutputTruncated,
                Limits = result.Limits,
            };
            var attempts = Info.Attempts.ToArray();
            attempts[^1] = finished;
            state.State.Info = Info with { Attempts = attempts };
            LogAttemptFinished(Info.Id, attempt.Number, result.Outcome);

            switch (result.Outcome)
            {
                case AttemptOutcome.Succeeded:
                    await FinishAsync(ExecutionState.Succeeded);
                    return;
                case AttemptOutcome.Cancelled:
                    await FinishAsync(ExecutionState.Cancelled);
                    return;
                case AttemptOutcome.Lost:
                    // A lost attempt does not use up a retry: record it and place the next one at once.
                    await UpdateAsync(Info with { State = ExecutionState.Pending });
                    continue;
            }
            if (state.State.CancelRequested || used + 1 >= policy.MaxAttempts)
            {
                await FinishAsync(state.State.CancelRequested ? ExecutionState.Cancelled : ExecutionState.Failed);
                return;
            }

            var nextAttemptAt = clock.Now + Backoff.Delay(policy, used + 1, random.NextDouble());
            await UpdateAsync(Info with { State = ExecutionState.Retrying, NextAttemptAt = nextAttemptAt });
            await WaitUntilAsync(nextAttemptAt);
        }
    }

    /// <summary>
    /// Reserves a node for the attempt. While nothing fits the execution stays pending; the ledger says when its
    /// turn comes (and the request is repeated now and then, in case the ledger itself moved). Null when cancelled.
    /// </summary>
    private async Task<string?> PlaceAsync(int attempt, ExecutionRequest request)
    {
        var ledger = GrainFactory.GetGrain<ICapacityLedgerGrain>(0);
        var reservation = new ReservationRequest(Info!.Id, attempt, request.Resources?.CpuMillis ?? 0, request.Resources?.MemoryMb ?? 0, request.Priority, Info.CreatedAt);
        using var cancel = new CancellationTokenSource();
        _cancel = cancel;
        try
        {
            while (!state.State.CancelRequested)
            {
                _placedNode = null;
                if (await ledger.ReserveAsync(reservation) is { } node)
                {
                    return node;
                }
                _placed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
                if (_placedNode is { } early)
                {
                    return early;
                }
                try
                {
                    return await _placed.Task.WaitAsync(PlacementRecheck, time, cancel.Token);
                }
                catch (TimeoutException)
                {
                    // Ask again: idempotent, and it re-queues this execution if the ledger lost its queue.
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                finally
                {
                    _placed = null;
                }
            }
            await ledger.ReleaseAsync(Info.Id);
            return null;
        }
        finally
        {
            _cancel = null;
        }
    }

    public Task PlacedAsync(int attempt, string nodeId)
    {
        if (Info is null || Info.IsTerminal)
        {
            // Nobody is waiting any more: give the capacity back.
            return GrainFactory.GetGrain<ICapacityLedgerGrain>(0).ReleaseAsync(this.GetPrimaryKeyString());
        }
        _placedNode = nodeId;
        _placed?.TrySetResult(nodeId);
        return Task.CompletedTask;
    }

    private static bool IsFree(ExecutionRequest request) => request.Resources is not { } r || (r.CpuMillis <= 0 && r.MemoryMb <= 0);

    /// <summary>Whether an attempt can run on this node without a reservation: it reserves nothing and the node is not draining.</summary>
    private bool RunsHere(ExecutionRequest request) => IsFree(request) && !localNode.Draining;

    /// <summary>Runs the attempt on this silo's node (or re-attaches to it after a re-activation here).</summary>
    private async Task<ActionResult> RunHereAsync(AttemptRequest request, bool start)
    {
        var key = AttemptRunnerGrain.KeyOf(request.ExecutionId, request.Attempt, localNode.Id);
        var live = start
            ? localNode.StartOrGet(key, new RunningAttempt(request.ExecutionId, request.Attempt, 0, 0), cancellationToken => actions.RunAsync(request, cancellationToken))
            : localNode.Find(key);
        if (live is null)
        {
            return Lost(localNode.Id);
        }
        _localAttempt = live;
        try
        {
            if (state.State.CancelRequested)
            {
                await live.Cancel.CancelAsync();
            }
            var result = await live.Completion;
            live.Delivered = true;
            return result;
        }
        finally
        {
            _localAttempt = null;
        }
    }

    /// <summary>
    /// Starts the attempt on its node (or re-attaches to it) and long-polls for its result. The attempt is lost when
    /// its node leaves the cluster (Orleans membership) or no longer knows it.
    /// </summary>
    private async Task<ActionResult> RunOnNodeAsync(string nodeId, AttemptRequest request, bool start)
    {
        var runner = GrainFactory.GetGrain<IAttemptRunnerGrain>(AttemptRunnerGrain.KeyOf(request.ExecutionId, request.Attempt, nodeId));
        _runner = runner;
        try
        {
            if (start)
            {
                try
                {
                    await runner.StartAsync(request);
                }
                catch (Exception ex) when (!IsNodeAlive(nodeId) || ex is NodeUnavailableException)
                {
                    return Lost(nodeId);
                }
            }
            if (state.State.CancelRequested)
            {
                await runner.CancelAsync();
            }
            while (true)
            {
                RunnerStatus status;
                try
                {
                    status = await runner.WaitAsync(RunnerWaitSlice);
                }
                catch (Exception ex) when (ex is not InconsistentStateException)
                {
                    if (!IsNodeAlive(nodeId) || ex is NodeUnavailableException)
                    {
                        return Lost(nodeId);
                    }
                    LogRunnerUnreachable(ex, request.ExecutionId, nodeId);
                    await Task.Delay(RunnerRetryDelay, time);
                    continue;
                }
                if (!status.Started)
                {
                    return Lost(nodeId);
                }
                if (status.Result is { } result)
                {
                    return result;
                }
                if (!IsNodeAlive(nodeId))
                {
                    return Lost(nodeId);
                }
            }
        }
        finally
        {
            _runner = null;
        }
    }

    private bool IsNodeAlive(string nodeId) => membership.CurrentSnapshot.Members.Values
        .Any(m => m.Status == SiloStatus.Active && LocalNode.IdOf(m.SiloAddress) == nodeId);

    private static ActionResult Lost(string nodeId) =>
        new(AttemptOutcome.Lost, Error: $"The node running this attempt ({nodeId}) left the cluster before it finished.");

    /// <summary>Waits until the scheduler clock reads <paramref name="instant"/>, or a cancel.</summary>
    private async Task WaitUntilAsync(DateTimeOffset instant)
    {
        using var wait = new CancellationTokenSource();
        _cancel = wait;
        try
        {
            // Timers may wake a fraction of a millisecond early: wait until the clock really reads the instant.
            for (var left = instant - clock.Now; left > TimeSpan.Zero; left = instant - clock.Now)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Ceiling(left.TotalMilliseconds)), clock.Time, wait.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // Cancelled while waiting; the run loop's next check finishes the execution.
        }
        finally
        {
            _cancel = null;
        }
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
        if (info.IsTerminal)
        {
            // The job keeps each execution's state as a hint (it asks the execution when it matters); only the end is news.
            await GrainFactory.GetGrain<IJobGrain>(info.JobId).ExecutionChangedAsync(info.Id, info.State);
        }
    }

    /// <summary>
    /// Writes the execution's row (its state and history in one). Writes are serialised: a cancel and the run loop
    /// may both write, and each must name the version the other left. A storage outage is waited out with backoff
    /// (the run goes on where it stopped once the database answers again); a version conflict is not retried.
    /// </summary>
    private async Task PersistAsync()
    {
        await _writing.WaitAsync();
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    var writing = Stopwatch.GetTimestamp();
                    await state.WriteStateAsync();
                    SchedulerMetrics.RecordStage(SchedulerMetrics.Persistence, writing);
                    return;
                }
                catch (Exception ex) when (ex is not InconsistentStateException && attempt < MaxPersistAttempts)
                {
                    var backoff = TimeSpan.FromMilliseconds(Math.Min(MaxPersistBackoff.TotalMilliseconds, 250 * Math.Pow(2, attempt - 1)));
                    LogPersistRetry(ex, this.GetPrimaryKeyString(), attempt, backoff);
                    await Task.Delay(backoff, time);
                }
            }
        }
        finally
        {
            _writing.Release();
        }
    }
}
