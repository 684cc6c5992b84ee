using JobScheduler.Grains.Security;
using JobScheduler.Core.Dags;
using JobScheduler.Core.Storage;
using JobScheduler.Grains.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Storage;

namespace JobScheduler.Grains.Dags;

/// <summary>
/// One run of a DAG, keyed by its run id. Event-driven: a step's execution reports its end
/// (<see cref="StepFinishedAsync"/>), a waited-for job or DAG reports a success (<see cref="WaitSatisfiedAsync"/>), and
/// the run asks <see cref="DagRunProgress"/> which direct dependants that unblocks — there is no polling loop. Steps are
/// started before the run's row records them (coalesced writes, <see cref="DagRunWriter"/>); their execution ids are
/// deterministic, so after a crash the re-activated run re-attaches to what was started and starts what was not.
/// </summary>
[GrainType("dagrun")]
public sealed partial class DagRunGrain(
    [PersistentState(StateNames.DagRun, StateNames.Provider)] IPersistentState<DagRunGrainState> state,
    SchedulerClock clock,
    TimeProvider time,
    ILogger<DagRunGrain> logger) : Grain, IDagRunGrain, IOwnedGrain
{
    private TaskCompletionSource<DagRunInfo> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private DagRunProgress? _progress;
    private StepLauncher? _launcher;
    private DagRunWriter? _writer;
    private WaitDeadlineTimer? _waitTimer;
    private GuardedTurns? _turns;

    private DagRunInfo? Run => state.State.Run;

    string? IOwnedGrain.Owner => Run?.Owner;

    private string RunId => this.GetPrimaryKeyString();

    private DagRunWriter Writer => _writer ??= new DagRunWriter(state, RunId, time, logger);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (Run is null || state.State.Request is not { } request)
        {
            return Task.CompletedTask;
        }
        Load(request, Run.Steps);
        if (Run.IsTerminal)
        {
            _done.TrySetResult(Run);
        }
        else
        {
            // Stored as running and re-activated (a restart, the loss of its silo, or an idle deactivation): find out what
            // the running steps' executions did meanwhile, re-subscribe the waiting ones, start what is unblocked.
            AfterThisTurn(RecoverAsync);
        }
        return Task.CompletedTask;
    }

    public async Task<DagRunInfo> StartAsync(DagRunRequest request)
    {
        if (Run is { } existing)
        {
            return existing;
        }
        Load(request, null);
        state.State.Request = request;
        state.State.Run = new DagRunInfo
        {
            Id = RunId,
            DagId = request.DagId,
            Owner = request.Owner,
            State = DagRunState.Running,
            ScheduledAt = request.ScheduledAt,
            Trigger = request.Trigger,
            StartedAt = clock.Now,
            Parameters = request.Parameters,
            Steps = _progress!.Snapshot(),
        };
        // Stored before anyone is told about it; the steps start in the next turn.
        await Writer.WriteAsync();
        AfterThisTurn(() => AdvanceAsync(null));
        LogRunStarted(RunId, request.Steps.Length);
        return state.State.Run;
    }

    public async Task<DagRunInfo?> GetAsync()
    {
        if (Run is { IsTerminal: true } && _done.Task.IsCompleted)
        {
            // A finished run's row may since have been dropped by retention or its DAG's delete (which do not go through
            // this grain): the row is the truth — once the end is stored (read earlier, it would overwrite the end still
            // being written with the row before it; see ExecutionGrain.GetAsync).
            await state.ReadStateAsync();
            if (Run is null || state.State.Request is not { } request)
            {
                DeactivateOnIdle();
            }
            else
            {
                Load(request, Run.Steps);
            }
        }
        return Run;
    }

    public Task StepFinishedAsync(string stepId, ExecutionInfo execution)
    {
        if (execution.FinishedAt is { } finishedAt)
        {
            SchedulerMetrics.RecordStage(SchedulerMetrics.StepReport, clock.Now - finishedAt);
        }
        return _progress?.Finish(stepId, execution) == true ? GuardAsync(() => AdvanceAsync([stepId])) : Task.CompletedTask;
    }

    public Task WaitSatisfiedAsync(string stepId, string satisfiedBy) =>
        _progress?.Satisfy(stepId, satisfiedBy) == true
            ? GuardAsync(() =>
            {
                StartSteps([stepId]);
                return SettleAsync();
            })
            : Task.CompletedTask;

    public async Task<DagRunInfo?> CancelAsync()
    {
        if (Run is null || Run.IsTerminal)
        {
            return Run;
        }
        state.State.CancelRequested = true;
        // Steps whose start is still on its way would otherwise get their cancel before their start.
        await _launcher!.StartsSettledAsync();
        var running = _progress!.Cancel(clock.Now);
        Publish();
        // Durable before the steps are stopped: a recovery then starts nothing new.
        await Writer.WriteAsync();
        foreach (var (stepId, execution) in await _launcher!.CancelAsync(running))
        {
            if (execution is not null)
            {
                _progress.Finish(stepId, execution);
            }
        }
        await SettleAsync();
        return Run;
    }

    public async Task<DagRunWriteResult> RetryAsync()
    {
        if (Run is not { } run)
        {
            return new DagRunWriteResult { NotFound = true, Errors = [new FieldError("runId", $"no DAG run with id '{RunId}'.")] };
        }
        if (run.State is DagRunState.Running or DagRunState.Succeeded)
        {
            return new DagRunWriteResult
            {
                Run = run,
                Errors = [new FieldError("state", $"the run is {Name(run.State)}; only a failed or cancelled run can be retried.")],
            };
        }
        var reset = _progress!.ResetForRetry();
        state.State.CancelRequested = false;
        _done = new TaskCompletionSource<DagRunInfo>(TaskCreationOptions.RunContinuationsAsynchronously);
        state.State.Run = run with { State = DagRunState.Running, FinishedAt = null, Retries = run.Retries + 1, Steps = _progress.Snapshot() };
        await Writer.WriteAsync();
        LogRunRetried(RunId, reset.Count);
        await AdvanceAsync(null);
        return new DagRunWriteResult { Run = Run };
    }

    public async Task<DagRunInfo?> WaitAsync(TimeSpan maxWait)
    {
        try
        {
            // Real time on purpose: this bounds a long poll, it is not a scheduling decision.
            return await _done.Task.WaitAsync(maxWait, time);
        }
        catch (TimeoutException)
        {
            return Run;
        }
    }

    public async Task<bool> ForgetAsync()
    {
        if (Run is null)
        {
            return true;
        }
        if (!Run.IsTerminal)
        {
            return false;
        }
        // The steps' executions go with the run (their rows are history of this run only).
        await Task.WhenAll(Run.Steps.Where(s => s.ExecutionId is not null)
            .Select(s => GrainFactory.GetGrain<IExecutionGrain>(s.ExecutionId!).ForgetAsync()));
        try
        {
            await state.ClearStateAsync();
        }
        catch (InconsistentStateException)
        {
            state.State = new DagRunGrainState();
        }
        DeactivateOnIdle();
        return true;
    }

    private void Load(DagRunRequest request, IReadOnlyList<DagStepRunInfo>? steps)
    {
        _progress = new DagRunProgress(RunId, request, steps);
        _launcher = new StepLauncher(RunId, request, GrainFactory, time, logger);
    }

    private async Task RecoverAsync()
    {
        await _launcher!.AttachAsync(_progress!, [.. _progress!.Running.Select(s => s.Id)]);
        var satisfied = new List<string>();
        foreach (var waiting in _progress.Waiting.Select(s => s.Id).ToList())
        {
            if (await _launcher.SubscribeAsync(_progress, waiting, clock.Now))
            {
                satisfied.Add(waiting);
            }
        }
        StartSteps(satisfied);
        await AdvanceAsync(null);
    }

    /// <summary>Decides the dependants of <paramref name="changed"/> (all pending steps when null), starts or subscribes them, and settles the run.</summary>
    private async Task AdvanceAsync(IReadOnlyList<string>? changed)
    {
        while (true)
        {
            var decisions = _progress!.Advance(changed, clock.Now);
            var start = new List<string>(decisions.Start);
            var next = new List<string>();
            foreach (var stepId in decisions.Wait)
            {
                if (await _launcher!.SubscribeAsync(_progress, stepId, clock.Now))
                {
                    start.Add(stepId);
                }
                else if (_progress.Step(stepId).State == StepState.Failed)
                {
                    next.Add(stepId);
                }
            }
            StartSteps(start);
            if (next.Count == 0)
            {
                break;
            }
            changed = next;
        }
        await SettleAsync();
    }

    /// <summary>
    /// Marks <paramref name="stepIds"/> as started and starts their executions without holding the run's turn (see
    /// <see cref="StepLauncher.StartInBackground"/>).
    /// </summary>
    private void StartSteps(IReadOnlyList<string> stepIds)
    {
        if (stepIds.Count == 0)
        {
            return;
        }
        var now = clock.Now;
        foreach (var stepId in stepIds)
        {
            _progress!.Start(stepId, now);
        }
        Publish();
        _launcher!.StartInBackground(_progress!, stepIds, this.AsReference<IDagRunGrain>(), DeactivateOnIdle);
    }

    /// <summary>Records the steps' states; ends the run once every step is done (announced only once stored).</summary>
    private async Task SettleAsync()
    {
        var outcome = _progress!.Outcome(state.State.CancelRequested);
        state.State.Run = Run! with
        {
            Steps = _progress.Snapshot(),
            State = outcome ?? DagRunState.Running,
            FinishedAt = outcome is null ? null : clock.Now,
        };
        if (outcome is not { } end)
        {
            ArmWaitTimer();
            // Another activation wrote after this one, or storage stayed away: step aside; the row is the truth.
            Writer.WriteInBackground(DeactivateOnIdle);
            return;
        }
        _waitTimer?.Disarm();
        await Writer.WriteAsync();
        _done.TrySetResult(Run!);
        LogRunFinished(RunId, end);
        GrainFactory.GetGrain<IDagGrain>(Run!.DagId).RunFinishedAsync(RunId, end).Ignore();
    }

    /// <summary>Copies the steps' states into the stored run without ending it.</summary>
    private void Publish() => state.State.Run = Run! with { Steps = _progress!.Snapshot() };

    /// <summary>Keeps a timer (and so the activation) for the earliest <c>waitFor</c> deadline while a step waits.</summary>
    private void ArmWaitTimer() => (_waitTimer ??= new WaitDeadlineTimer(this, OnWaitDeadlineAsync)).Arm(_progress!.NextWaitDeadline, clock.Now);

    private Task OnWaitDeadlineAsync() => GuardAsync(async () =>
    {
        if (_progress!.FailWaits(clock.Now) is { Count: > 0 } failed)
        {
            await AdvanceAsync(failed);
        }
        else
        {
            ArmWaitTimer();
        }
    });

    private Task GuardAsync(Func<Task> work) => (_turns ??= new GuardedTurns(this, DeactivateOnIdle, RunId, logger)).RunAsync(work);

    private void AfterThisTurn(Func<Task> work) => (_turns ??= new GuardedTurns(this, DeactivateOnIdle, RunId, logger)).AfterThisTurn(work);

    private static string Name(DagRunState runState) => runState.ToString().ToLowerInvariant();

    [LoggerMessage(Level = LogLevel.Information, Message = "DAG run {RunId} started with {Steps} step(s)")]
    private partial void LogRunStarted(string runId, int steps);

    [LoggerMessage(Level = LogLevel.Information, Message = "DAG run {RunId} {State}")]
    private partial void LogRunFinished(string runId, DagRunState state);

    [LoggerMessage(Level = LogLevel.Information, Message = "DAG run {RunId} retried from its failed steps ({Steps} step(s) reset)")]
    private partial void LogRunRetried(string runId, int steps);

}
