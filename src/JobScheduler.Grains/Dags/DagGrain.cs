using JobScheduler.Grains.Security;
using JobScheduler.Core;
using JobScheduler.Core.Dags;
using JobScheduler.Core.Jobs;
using JobScheduler.Core.Secrets;
using JobScheduler.Core.Storage;
using JobScheduler.Grains.Actions;
using JobScheduler.Grains.Hosting;
using JobScheduler.Grains.Jobs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;

namespace JobScheduler.Grains.Dags;

/// <summary>
/// One DAG: its definition, its schedule and the runs it starts. The schedule follows a job's rules exactly
/// (<see cref="DagScheduling"/>: misfire, concurrency between runs, pause and resume) and wakes the same way: its own
/// timer while active, the cluster's due scanner after an idle deactivation or a restart. Runs are started before the
/// DAG's own state is written, and their ids derive from the scheduled instant, so a crash in between re-fires the same
/// instant onto the same run.
/// </summary>
[GrainType("dag")]
public sealed partial class DagGrain(
    [PersistentState(StateNames.Dag, StateNames.Provider)] IPersistentState<DagGrainState> state,
    SchedulerClock clock,
    ActionRulesSource rules,
    SecretProtector secrets,
    IDagCatalog catalog,
    IOptionsMonitor<JobSchedulerOptions> options,
    ILogger<DagGrain> logger) : Grain, IDagGrain, IOwnedGrain
{
    private static readonly TimeSpan FireRetryDelay = TimeSpan.FromSeconds(1);

    private JobWakeUps _wakeUps = null!;
    private DagRuns _runs = null!;
    private FireSchedule? _schedule;

    private DagInfo? Dag => state.State.Dag is { State: not JobState.Deleted } dag ? dag : null;

    /// <summary>The DAG as answers show it: secret values masked (the state keeps them encrypted).</summary>
    private DagInfo? Shown => Dag is { } dag ? ActionSecrets.Redact(dag) : null;

    string? IOwnedGrain.Owner => Dag?.Owner;

    private string DagId => this.GetPrimaryKeyString();

    private DateTimeOffset? WakeAt => Dag is { State: JobState.Active, NextFireAt: { } next } ? next : null;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var self = this.AsReference<IDagGrain>();
        _wakeUps = new JobWakeUps(this, () => self.FireDueAsync(), clock, logger);
        _runs = new DagRuns(DagId, state, GrainFactory, catalog, options);
        if (Dag is { } dag)
        {
            _schedule = FireSchedule.Create(DagScheduling.ScheduleOf(dag), state.State.PlannedAt);
            _wakeUps.Arm(WakeAt);
        }
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _wakeUps.Disarm();
        return Task.CompletedTask;
    }

    public async Task<DagWriteResult> PutAsync(DagSpec spec, string owner, bool createOnly)
    {
        var now = clock.Now;
        var errors = DagSpecValidator.ValidateId(DagId)
            .Concat(DagSpecValidator.Validate(spec, rules.Current, now, options.CurrentValue.MaxDagSteps)).ToArray();
        if (errors.Length > 0)
        {
            return new DagWriteResult { Errors = errors };
        }
        if (await StepsThatNeverFitAsync(spec) is { Length: > 0 } tooLarge)
        {
            return new DagWriteResult { Errors = tooLarge };
        }
        var existing = Dag;
        if (existing is not null && createOnly)
        {
            return new DagWriteResult { Dag = ActionSecrets.Redact(existing), Conflict = true, Errors = [new("id", $"a DAG with id '{DagId}' already exists.")] };
        }
        var (sealedSteps, sealErrors) = SealSteps(spec, existing);
        if (sealErrors.Count > 0)
        {
            return new DagWriteResult { Errors = [.. sealErrors] };
        }
        spec = spec with { Steps = sealedSteps };
        if (existing is null)
        {
            state.State.Runs.Clear();
            state.State.Triggers.Clear();
            state.State.RunCount = 0;
        }
        var schedule = FireSchedule.Create(DagScheduling.ScheduleOf(spec), now);
        var (dagState, nextFireAt) = JobPlanning.OnPut(existing is null ? null : DagScheduling.AsJob(existing), schedule, now);
        var dag = new DagInfo(spec.ToSpec())
        {
            Id = DagId,
            Owner = existing?.Owner ?? owner,
            State = dagState,
            CreatedAt = existing?.CreatedAt ?? now,
            UpdatedAt = now,
            LastFireAt = existing?.LastFireAt,
            SkippedFires = existing?.SkippedFires ?? 0,
            NextFireAt = nextFireAt,
        };
        _schedule = schedule;
        state.State.PlannedAt = now;
        await SaveAsync(dag);
        LogDagSaved(DagId, existing is null ? "created" : "replaced", spec.Steps!.Length, dag.NextFireAt);
        return new DagWriteResult { Dag = ActionSecrets.Redact(dag), Created = existing is null };
    }

    public Task<DagInfo?> GetAsync() => Task.FromResult(Shown);

    // Activation did the work: the timer is armed.
    public Task WakeAsync() => Task.CompletedTask;

    public async Task<bool> DeleteAsync()
    {
        if (Dag is null)
        {
            return false;
        }
        _wakeUps.Disarm();
        // One write: the DAG's row goes, with its finished runs and their steps' executions. Runs still going finish.
        await state.ClearStateAsync();
        LogDagDeleted(DagId);
        return true;
    }

    public async Task<DagInfo?> PauseAsync()
    {
        if (Dag is { } dag && JobPlanning.Pause(DagScheduling.AsJob(dag), clock.Now) is { } paused)
        {
            await SaveAsync(DagScheduling.Apply(dag, paused));
        }
        return Shown;
    }

    public async Task<DagInfo?> ResumeAsync()
    {
        if (Dag is { } dag && JobPlanning.Resume(DagScheduling.AsJob(dag), _schedule!, clock.Now) is { } resumed)
        {
            await SaveAsync(DagScheduling.Apply(dag, resumed));
        }
        return Shown;
    }

    public async Task<DagWriteResult> TriggerAsync(DagTriggerOptions? options, string? idempotencyKey)
    {
        if (Dag is not { } dag)
        {
            return new DagWriteResult { Errors = [new("id", $"no DAG with id '{DagId}'.")], NotFound = true };
        }
        var errors = (options is null ? [] : DagSpecValidator.Validate(options))
            .Concat(idempotencyKey is null ? [] : IdempotencyKeys.Validate(idempotencyKey)).ToArray();
        if (errors.Length > 0)
        {
            return new DagWriteResult { Dag = ActionSecrets.Redact(dag), Errors = errors };
        }
        var now = clock.Now;
        if (idempotencyKey is not null && IdempotencyKeys.FindTrigger(state.State.Triggers, idempotencyKey, now) is { } earlier)
        {
            // Its start may have failed before the run came to be (see JobGrain.TriggerAsync): then it starts now, same id.
            if (earlier.Pending && ExecutionId.ScheduledAtOf(earlier.ExecutionId) is { } earlierInstant)
            {
                var started = await _runs.StartAsync(CreateRequest(dag, earlierInstant, "manual", options?.Parameters));
                earlier.Pending = false;
                await state.WriteStateAsync();
                return new DagWriteResult { Dag = ActionSecrets.Redact(dag), Run = started };
            }
            return new DagWriteResult { Dag = ActionSecrets.Redact(dag), Run = await GrainFactory.GetGrain<IDagRunGrain>(earlier.ExecutionId).GetAsync() };
        }
        var instant = now > state.State.LastTriggerAt ? now : state.State.LastTriggerAt.AddTicks(1);
        state.State.LastTriggerAt = instant;
        if (idempotencyKey is not null)
        {
            // Stored before the start is asked for, so that a start failing with its silo cannot make a retry start a second run.
            IdempotencyKeys.Remember(state.State.Triggers, idempotencyKey, DagRunId.For(DagId, instant), now, pending: true);
            await state.WriteStateAsync();
        }
        var run = await _runs.StartAsync(CreateRequest(dag, instant, "manual", options?.Parameters));
        if (idempotencyKey is not null)
        {
            IdempotencyKeys.Remember(state.State.Triggers, idempotencyKey, run.Id, now);
        }
        await state.WriteStateAsync();
        return new DagWriteResult { Dag = ActionSecrets.Redact(dag), Run = run };
    }

    public async Task<Page<DagRunInfo>?> ListRunsAsync(DagRunQuery query) =>
        Dag is null ? null : await catalog.QueryRunsAsync(DagId, query);

    public async Task FireDueAsync()
    {
        if (Dag is not { State: JobState.Active } dag || _schedule is not { } schedule)
        {
            return;
        }
        try
        {
            await FireDueCoreAsync(dag, schedule);
        }
        catch (Exception ex) when (ex is not InconsistentStateException)
        {
            LogFireFailed(ex, DagId, FireRetryDelay);
            _wakeUps.Arm(WakeAt, FireRetryDelay);
            throw;
        }
    }

    public Task RunFinishedAsync(string runId, DagRunState runState)
    {
        if (Dag is null)
        {
            // The DAG was deleted while this run went on: its history goes now that it has finished.
            return GrainFactory.GetGrain<IDagRunGrain>(runId).ForgetAsync();
        }
        _runs.Finished(runId);
        if (runState == DagRunState.Succeeded && ExecutionId.ScheduledAtOf(runId) is { } scheduledAt)
        {
            foreach (var waiter in SuccessWaiters.Satisfied(state.State.Waiters, scheduledAt, clock.Now))
            {
                GrainFactory.GetGrain<IDagRunGrain>(waiter.RunId).WaitSatisfiedAsync(waiter.StepId, runId).Ignore();
            }
        }
        return Task.CompletedTask;
    }

    public async Task<WaitAnswer> AwaitSuccessAsync(string runId, string stepId, DateTimeOffset since, DateTimeOffset until)
    {
        if (Dag is null)
        {
            return new WaitAnswer { Exists = false };
        }
        var latest = await catalog.QueryRunsAsync(DagId, new DagRunQuery { State = DagRunState.Succeeded, From = since, Limit = 1 });
        if (latest.Items is [var run, ..])
        {
            return new WaitAnswer { Exists = true, SatisfiedBy = run.Id };
        }
        SuccessWaiters.Add(state.State.Waiters, runId, stepId, since, until, clock.Now);
        await state.WriteStateAsync();
        return new WaitAnswer { Exists = true };
    }

    private async Task FireDueCoreAsync(DagInfo dag, FireSchedule schedule)
    {
        var settings = options.CurrentValue;
        if (JobFireRound.Plan(DagScheduling.AsJob(dag), schedule, clock.Now, new FireOptions(settings.MisfireThreshold, settings.MaxCatchUpFires)) is not { } round)
        {
            _wakeUps.Arm(WakeAt);
            return;
        }
        foreach (var instant in round.Instants)
        {
            var running = round.NeedsRunning ? await _runs.RunningAsync() : [];
            switch (round.Decide(running.Count))
            {
                case FireDecision.Skip:
                    LogFireSkippedForbid(DagId, instant, running[0]);
                    continue;
                case FireDecision.CancelRunningThenStart:
                    foreach (var id in running)
                    {
                        await GrainFactory.GetGrain<IDagRunGrain>(id).CancelAsync();
                    }
                    break;
            }
            await _runs.StartAsync(CreateRequest(dag, instant, "schedule", null));
        }
        await SaveAsync(DagScheduling.Apply(dag, round.Finish()));
    }

    private DagRunRequest CreateRequest(DagInfo dag, DateTimeOffset instant, string trigger, Dictionary<string, string>? parameters) => new()
    {
        DagId = DagId,
        Owner = dag.Owner,
        ScheduledAt = instant,
        Trigger = trigger,
        Steps = dag.Steps ?? [],
        Parameters = parameters,
    };

    /// <summary>The steps with their secrets encrypted; a step's "***" keeps the value the stored step of the same id has.</summary>
    private (DagStepSpec[] Steps, List<FieldError> Errors) SealSteps(DagSpec spec, DagInfo? existing)
    {
        var errors = new List<FieldError>();
        var steps = spec.Steps!;
        var sealedSteps = new DagStepSpec[steps.Length];
        for (var i = 0; i < steps.Length; i++)
        {
            var stored = existing?.Steps?.FirstOrDefault(s => s.Id == steps[i].Id)?.Action;
            sealedSteps[i] = steps[i].Action is { } action
                ? steps[i] with { Action = secrets.Seal(action, stored, $"steps[{i}].action", errors) }
                : steps[i];
        }
        return (sealedSteps, errors);
    }

    /// <summary>Steps asking for more resources than any node has: refused at submission, as a job's would be.</summary>
    private async Task<FieldError[]> StepsThatNeverFitAsync(DagSpec spec)
    {
        var errors = new List<FieldError>();
        var steps = spec.Steps ?? [];
        for (var i = 0; i < steps.Length; i++)
        {
            if (steps[i].Resources is { } resources && (resources.CpuMillis > 0 || resources.MemoryMb > 0))
            {
                var tooLarge = await GrainFactory.GetGrain<IClusterNodesGrain>(0).CheckFitsAsync(resources);
                errors.AddRange(tooLarge.Select(e => e with { Field = $"steps[{i}].{e.Field}" }));
            }
        }
        return [.. errors];
    }

    private async Task SaveAsync(DagInfo dag)
    {
        state.State.Dag = dag;
        await state.WriteStateAsync();
        _wakeUps.Arm(WakeAt);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "DAG {DagId} {Action} ({Steps} steps); next fire at {NextFireAt}")]
    private partial void LogDagSaved(string dagId, string action, int steps, DateTimeOffset? nextFireAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "DAG {DagId} deleted")]
    private partial void LogDagDeleted(string dagId);

    [LoggerMessage(Level = LogLevel.Information, Message = "DAG {DagId} skipped its run at {Instant}: run {Running} still runs (concurrency forbid)")]
    private partial void LogFireSkippedForbid(string dagId, DateTimeOffset instant, string running);

    [LoggerMessage(Level = LogLevel.Warning, Message = "DAG {DagId} could not fire; trying again in {Delay}")]
    private partial void LogFireFailed(Exception exception, string dagId, TimeSpan delay);
}
