using System.Diagnostics;
using JobScheduler.Core.Executions;
using JobScheduler.Core.Storage;
using JobScheduler.Grains.Actions;
using JobScheduler.Grains.Hosting;
using JobScheduler.Grains.Nodes;
using JobScheduler.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Storage;

namespace JobScheduler.Grains.Executions;

/// <summary>
/// One execution: runs its attempts one after another on a background turn of this activation, waiting out
/// backoffs between them, and records each attempt. Its key is derived from the job id and the scheduled
/// instant, so a repeated fire lands on the same grain and <see cref="StartAsync"/> is idempotent. What follows each
/// attempt is <see cref="AttemptPolicy"/>'s decision; finding a node is <see cref="AttemptPlacement"/>'s work, and running
/// the attempt there <see cref="AttemptLink"/>'s.
/// <para>
/// Its row is read when first needed, not on activation: <see cref="StartAsync"/> on a new execution (the common case)
/// creates the row straight away and reads only if it turns out to exist. Whatever loads an unfinished execution (the
/// recovery sweep's ping, a wait, a cancel) resumes it: the attempt that was running died with its node.
/// </para>
/// </summary>
[GrainType("execution")]
public sealed partial class ExecutionGrain(
    [FromKeyedServices(StateNames.Provider)] IGrainStorage storage,
    IGrainContext context,
    SchedulerClock clock,
    IGrainFactory grains,
    IClusterMembershipService membership,
    LocalNode localNode,
    ActionRunner actions,
    TimeProvider time,
    RandomSource random,
    ILogger<ExecutionGrain> logger) : Grain, IExecutionGrain, IPlacementListener
{
    private static readonly TimeSpan KeepAlivePeriod = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan CancelWait = TimeSpan.FromSeconds(15);

    private readonly LazyPersistentState<ExecutionGrainState> _state = new(storage, StateNames.Execution, context.GrainId);
    private readonly TaskCompletionSource<ExecutionInfo> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _loading;
    private readonly AttemptPlacement _placement = new(grains, time);
    private readonly AttemptLink _link = new(grains, membership, localNode, actions, time, logger);
    private ExecutionWriter? _writer;
    private CancellationTokenSource? _cancel;
    private bool _firstAttemptRecorded;
    private Task? _run;
    private IGrainTimer? _keepAlive;

    private ExecutionInfo? Info => _state.State.Info;

    /// <summary>Reads the row once (every call waits for the same read), and takes up what it holds.</summary>
    private Task LoadedAsync() => _loading ??= LoadAsync();

    private async Task LoadAsync()
    {
        await _state.ReadStateAsync();
        TakeUpStoredState();
    }

    private void TakeUpStoredState()
    {
        if (Info is null)
        {
            return;
        }
        if (Info.IsTerminal)
        {
            _done.TrySetResult(Info);
        }
        else if (_state.State.Request is not null && _run is null)
        {
            // Stored as unfinished but nothing runs it here: whatever attempt was running died with its node.
            _run = RunAsync();
        }
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _cancel?.Cancel();
        _placement.Interrupt();
        _keepAlive?.Dispose();
        return Task.CompletedTask;
    }

    public async Task<ExecutionInfo> StartAsync(ExecutionRequest request)
    {
        if (_loading is null)
        {
            // Nothing read yet: most likely a new execution, so create its row without reading first.
            var creating = CreateAsync(request, optimistic: true);
            _loading = creating;
            await creating;
            return Info!;
        }
        await _loading;
        if (Info is { } existing)
        {
            return existing;
        }
        await CreateAsync(request, optimistic: false);
        return Info!;
    }

    private async Task CreateAsync(ExecutionRequest request, bool optimistic)
    {
        var now = clock.Now;
        _state.State.Request = request;
        _state.State.Info = new ExecutionInfo
        {
            Id = this.GetPrimaryKeyString(),
            JobId = request.JobId,
            Owner = request.Owner,
            ScheduledAt = request.ScheduledAt,
            Trigger = request.Trigger,
            State = ExecutionState.Pending,
            CreatedAt = now,
        };
        if (_link.RunsHere(request))
        {
            // Nothing to reserve and this node takes work: the first attempt is placed here without asking the
            // ledger, and recorded in the same write as the execution itself.
            _state.State.Info = _state.State.Info with
            {
                State = ExecutionState.Running,
                Attempts = [new AttemptInfo { Number = 1, Node = localNode.Id, StartedAt = now }],
            };
            _firstAttemptRecorded = true;
        }
        try
        {
            await PersistAsync();
        }
        catch (InconsistentStateException) when (optimistic)
        {
            // The row exists (a fire delivered twice, or a re-activation after a crash): it is the truth.
            _firstAttemptRecorded = false;
            await _state.ReadStateAsync();
            TakeUpStoredState();
            return;
        }
        _run = RunAsync();
    }

    public async Task<ExecutionInfo?> GetAsync()
    {
        await LoadedAsync();
        if (Info is { IsTerminal: true })
        {
            // A finished execution's row may since have been dropped by retention or its job's delete (which do not
            // go through this grain): the row is the truth.
            await _state.ReadStateAsync();
        }
        return Info;
    }

    public async Task<ExecutionInfo?> CancelAsync()
    {
        await LoadedAsync();
        if (Info is null || Info.IsTerminal)
        {
            return Info;
        }
        _state.State.CancelRequested = true;
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
        await LoadedAsync();
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
        await LoadedAsync();
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
            await _state.ClearStateAsync();
        }
        catch (InconsistentStateException)
        {
            // Retention (or the job's delete) already removed the row: forgotten either way.
            _state.State = new ExecutionGrainState();
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
        var request = _state.State.Request!;
        var policy = request.Retry ?? new RetryPolicy();
        while (true)
        {
            if (Info!.State == ExecutionState.Retrying && Info.NextAttemptAt is { } resumeAt)
            {
                // Resumed during a backoff: wait out what is left of it.
                await WaitUntilAsync(resumeAt);
            }
            if (AttemptPolicy.BeforeAttempt(policy, Info!.Attempts, _state.State.CancelRequested) is { IsFinal: true } end)
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
                var placed = _link.RunsHere(request) ? localNode.Id : await _placement.PlaceAsync(Info, Info.Attempts.Length + 1, request, () => _state.State.CancelRequested);
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
            var result = await _link.RunAsync(request, Info.Id, attempt, start: !resumed, () => _state.State.CancelRequested);
            SchedulerMetrics.RecordStage(SchedulerMetrics.Run, running);
            var attempts = Info.Attempts.ToArray();
            attempts[^1] = AttemptLink.Finished(attempt, result, clock.Now);
            _state.State.Info = Info with { Attempts = attempts };
            LogAttemptFinished(Info.Id, attempt.Number, result.Outcome);

            var next = AttemptPolicy.AfterAttempt(policy, attempts, result.Outcome, _state.State.CancelRequested, clock.Now, random.NextDouble());
            switch (next.Kind)
            {
                case AttemptStepKind.RetryNow:
                    // A lost attempt does not use up a retry: record it and place the next one at once.
                    await UpdateAsync(Info with { State = ExecutionState.Pending });
                    continue;
                case AttemptStepKind.WaitThenRun:
                    await UpdateAsync(Info with { State = ExecutionState.Retrying, NextAttemptAt = next.NextAttemptAt });
                    await WaitUntilAsync(next.NextAttemptAt!.Value);
                    continue;
                default:
                    await FinishAsync(next.FinalState);
                    return;
            }
        }
    }

    public async Task PlacedAsync(int attempt, string nodeId)
    {
        await LoadedAsync();
        if (Info is null || Info.IsTerminal)
        {
            // Nobody is waiting any more: give the capacity back.
            await GrainFactory.GetGrain<ICapacityLedgerGrain>(0).ReleaseAsync(this.GetPrimaryKeyString());
            return;
        }
        _placement.Placed(nodeId);
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
        _state.State.Info = info;
        await PersistAsync();
        if (info.IsTerminal)
        {
            // The job keeps each execution's state as a hint (it asks the execution when it matters); only the end is news.
            await GrainFactory.GetGrain<IJobGrain>(info.JobId).ExecutionChangedAsync(info.Id, info.State);
        }
    }

    private Task PersistAsync() => (_writer ??= new ExecutionWriter(_state, this.GetPrimaryKeyString(), time, logger)).WriteAsync();
}
