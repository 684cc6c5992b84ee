using JobScheduler.Core;
using JobScheduler.Grains.Actions;
using JobScheduler.Grains.Catalog;
using JobScheduler.Grains.Hosting;
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
    [PersistentState("execution", JobSchedulerSiloExtensions.StorageName)] IPersistentState<ExecutionGrainState> state,
    SchedulerClock clock,
    ActionRunner runner,
    IJobCatalog catalog,
    ILocalSiloDetails silo,
    ILogger<ExecutionGrain> logger) : Grain, IExecutionGrain
{
    private static readonly TimeSpan KeepAlivePeriod = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan CancelWait = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan MaxPersistBackoff = TimeSpan.FromSeconds(5);
    private const int MaxPersistAttempts = 30;

    private readonly TaskCompletionSource<ExecutionInfo> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource? _cancel;
    private Task? _run;
    private IGrainTimer? _keepAlive;

    private ExecutionInfo? Info => state.State.Info;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (Info is null)
        {
            return;
        }
        // Repairs the query model if the process died between the grain's write and the catalog's.
        await catalog.SaveExecutionAsync(Info, state.State.Revision, cancellationToken);
        if (Info.IsTerminal)
        {
            _done.TrySetResult(Info);
        }
        else if (state.State.Request is not null)
        {
            // Stored as unfinished but nothing runs it here: whatever attempt was running died with its node.
            _run = RunAsync(resumed: true);
        }
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
        await PersistAsync();
        _run = RunAsync(resumed: false);
        return state.State.Info;
    }

    public Task<ExecutionInfo?> GetAsync() => Task.FromResult(Info);

    public async Task<ExecutionInfo?> CancelAsync()
    {
        if (Info is null || Info.IsTerminal)
        {
            return Info;
        }
        state.State.CancelRequested = true;
        await PersistAsync();
        _cancel?.Cancel();
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
        if (Info is { IsTerminal: true } info)
        {
            return info;
        }
        try
        {
            // Real time on purpose: this bounds a long poll, it is not a scheduling decision.
            return await _done.Task.WaitAsync(maxWait, TimeProvider.System);
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
        var id = Info.Id;
        await state.ClearStateAsync();
        await catalog.DeleteExecutionAsync(id);
        DeactivateOnIdle();
        return true;
    }

    private async Task RunAsync(bool resumed)
    {
        _keepAlive = this.RegisterGrainTimer(
            static _ => Task.CompletedTask,
            new GrainTimerCreationOptions { DueTime = KeepAlivePeriod, Period = KeepAlivePeriod, KeepAlive = true });
        try
        {
            if (resumed)
            {
                await MarkRunningAttemptLostAsync();
            }
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
    }

    private async Task RunAttemptsAsync()
    {
        var request = state.State.Request!;
        var policy = request.Retry ?? new RetryPolicy();
        var node = silo.SiloAddress.Endpoint.ToString();
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
            var used = Info!.Attempts.Count(a => a.Outcome != AttemptOutcome.Lost);
            if (used >= policy.MaxAttempts)
            {
                await FinishAsync(ExecutionState.Failed);
                return;
            }

            var attempt = new AttemptInfo { Number = Info.Attempts.Length + 1, Node = node, StartedAt = clock.Now };
            await UpdateAsync(Info with { State = ExecutionState.Running, NextAttemptAt = null, Attempts = [.. Info.Attempts, attempt] });

            using var cancel = new CancellationTokenSource();
            _cancel = cancel;
            var attemptRequest = new AttemptRequest(request.JobId, Info.Id, attempt.Number, request.ScheduledAt, request.Action, request.Timeout);
            // Off the grain's turn: a long process must not block calls such as cancel or get.
            var result = await Task.Run(() => runner.RunAsync(attemptRequest, cancel.Token));
            _cancel = null;

            var finished = attempt with
            {
                FinishedAt = clock.Now,
                Outcome = result.Outcome,
                ExitCode = result.ExitCode,
                HttpStatus = result.HttpStatus,
                Error = result.Error,
                Output = result.Output,
                OutputTruncated = result.OutputTruncated,
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
            }
            if (state.State.CancelRequested || used + 1 >= policy.MaxAttempts)
            {
                await FinishAsync(state.State.CancelRequested ? ExecutionState.Cancelled : ExecutionState.Failed);
                return;
            }

            var nextAttemptAt = clock.Now + Backoff.Delay(policy, used + 1, Random.Shared.NextDouble());
            await UpdateAsync(Info with { State = ExecutionState.Retrying, NextAttemptAt = nextAttemptAt });
            await WaitUntilAsync(nextAttemptAt);
        }
    }

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

    private async Task MarkRunningAttemptLostAsync()
    {
        if (Info!.Attempts is [.., { Outcome: null } running])
        {
            var attempts = Info.Attempts.ToArray();
            attempts[^1] = running with { Outcome = AttemptOutcome.Lost, FinishedAt = clock.Now, Error = "The node running this attempt stopped before it finished." };
            await UpdateAsync(Info with { Attempts = attempts });
        }
    }

    private async Task FinishAsync(ExecutionState final)
    {
        await UpdateAsync(Info! with { State = final, FinishedAt = clock.Now, NextAttemptAt = null });
        _done.TrySetResult(Info!);
    }

    private async Task UpdateAsync(ExecutionInfo info)
    {
        state.State.Info = info;
        await PersistAsync();
        await GrainFactory.GetGrain<IJobGrain>(info.JobId).ExecutionChangedAsync(info.Id, info.State);
    }

    /// <summary>
    /// Writes the grain's state, then its query-model row. A storage outage is waited out with backoff (the run
    /// goes on where it stopped once the database answers again); a version conflict is not retried.
    /// </summary>
    private async Task PersistAsync()
    {
        state.State.Revision++;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await state.WriteStateAsync();
                await catalog.SaveExecutionAsync(state.State.Info!, state.State.Revision);
                return;
            }
            catch (Exception ex) when (ex is not InconsistentStateException && attempt < MaxPersistAttempts)
            {
                var backoff = TimeSpan.FromMilliseconds(Math.Min(MaxPersistBackoff.TotalMilliseconds, 250 * Math.Pow(2, attempt - 1)));
                LogPersistRetry(ex, this.GetPrimaryKeyString(), attempt, backoff);
                await Task.Delay(backoff, TimeProvider.System);
            }
        }
    }
}
