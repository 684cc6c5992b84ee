using JobScheduler.Grains.Security;
using System.Diagnostics;
using JobScheduler.Core;
using JobScheduler.Core.Dags;
using JobScheduler.Core.Jobs;
using JobScheduler.Core.Secrets;
using JobScheduler.Core.Storage;
using JobScheduler.Grains.Actions;
using JobScheduler.Grains.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;

namespace JobScheduler.Grains.Jobs;

/// <summary>
/// One job. Two wake-ups drive it (<see cref="JobWakeUps"/>): its own precise timer while active, and the cluster's
/// due-jobs scanner (<see cref="DueJobsScannerGrain"/>, driven by a durable reminder), which wakes it shortly before its
/// next fire after an idle deactivation or a restart; a job keeps no reminder of its own. What a wake-up
/// fires is <see cref="JobFireRound"/>'s decision, and a put, pause or resume is planned by <see cref="JobPlanning"/>.
/// Executions are started before the job's own state is written, and their ids derive from the scheduled
/// instant, so a crash between the two re-fires the same instant onto the same execution instead of losing it.
/// </summary>
[GrainType("job")]
public sealed partial class JobGrain(
    [PersistentState(StateNames.Job, StateNames.Provider)] IPersistentState<JobGrainState> state,
    SchedulerClock clock,
    ActionRulesSource rules,
    SecretProtector secrets,
    IJobCatalog catalog,
    IOptionsMonitor<JobSchedulerOptions> options,
    ILogger<JobGrain> logger) : Grain, IJobGrain, IRemindable, IOwnedGrain
{
    private static readonly TimeSpan FireRetryDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan IdleAfterSave = TimeSpan.FromMinutes(10);

    private JobWakeUps _wakeUps = null!;
    private FireSchedule? _schedule;
    private JobExecutions _executions = null!;

    private JobInfo? Job => state.State.Job is { State: not JobState.Deleted } job ? job : null;

    /// <summary>The job as answers show it: secret values masked (the state keeps them encrypted).</summary>
    private JobInfo? Shown => Job is { } job ? ActionSecrets.Redact(job) : null;

    string? IOwnedGrain.Owner => Job?.Owner;

    private string JobId => this.GetPrimaryKeyString();

    /// <summary>The instant the wake-ups aim at: the next fire of an active job, else none.</summary>
    private DateTimeOffset? WakeAt => Job is { State: JobState.Active, NextFireAt: { } next } ? next : null;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var self = this.AsReference<IJobGrain>();
        _wakeUps = new JobWakeUps(this, () => self.FireDueAsync(), clock, logger);
        _executions = new JobExecutions(JobId, state, GrainFactory, catalog, options);
        // Earlier versions kept finished executions here too; their own rows hold them.
        state.State.Executions.RemoveAll(r => r.IsTerminal);
        if (Job is { Schedule: not null } job)
        {
            _schedule = FireSchedule.Create(job.Schedule, state.State.PlannedAt);
            ArmTimer();
        }
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _wakeUps.Disarm();
        return Task.CompletedTask;
    }

    public async Task<JobWriteResult> PutAsync(JobSpec spec, string owner, bool createOnly)
    {
        var started = Stopwatch.GetTimestamp();
        var now = clock.Now;
        var errors = JobSpecValidator.ValidateId(JobId).Concat(JobSpecValidator.Validate(spec, rules.Current, now)).ToArray();
        if (errors.Length > 0)
        {
            return new JobWriteResult { Errors = errors };
        }
        if (spec.Resources is { } resources && (resources.CpuMillis > 0 || resources.MemoryMb > 0)
            && await GrainFactory.GetGrain<IClusterNodesGrain>(0).CheckFitsAsync(resources) is { Length: > 0 } tooLarge)
        {
            return new JobWriteResult { Errors = tooLarge };
        }
        var existing = Job;
        if (existing is not null && createOnly)
        {
            return new JobWriteResult { Job = ActionSecrets.Redact(existing), Conflict = true, Errors = [new("id", $"a job with id '{JobId}' already exists.")] };
        }
        // Secrets are encrypted before anything is stored; "***" keeps what the stored definition has.
        var sealErrors = new List<FieldError>();
        spec = spec with { Action = secrets.Seal(spec.Action!, existing?.Action, "action", sealErrors) };
        if (sealErrors.Count > 0)
        {
            return new JobWriteResult { Errors = [.. sealErrors] };
        }
        if (existing is null)
        {
            // A new job (or one re-created after delete) starts with no history.
            state.State.Executions.Clear();
            state.State.ExecutionCount = 0;
            state.State.Triggers.Clear();
        }

        var schedule = FireSchedule.Create(spec.Schedule!, now);
        var (jobState, nextFireAt) = JobPlanning.OnPut(existing, schedule, now);
        var job = new JobInfo(spec.ToSpec())
        {
            Id = JobId,
            Owner = existing?.Owner ?? owner,
            State = jobState,
            CreatedAt = existing?.CreatedAt ?? now,
            UpdatedAt = now,
            LastFireAt = existing?.LastFireAt,
            SkippedFires = existing?.SkippedFires ?? 0,
            NextFireAt = nextFireAt,
        };
        _schedule = schedule;
        state.State.PlannedAt = now;
        await SaveAsync(job);
        LogJobSaved(JobId, existing is null ? "created" : "replaced", job.NextFireAt);
        SchedulerMetrics.RecordStage(SchedulerMetrics.Submission, started);
        if (job.NextFireAt is not { } next || next - now > IdleAfterSave)
        {
            // Nothing to do here for a while: the due-jobs scanner wakes the job before its fire, so a million jobs far in the
            // future cost storage rows, not memory.
            DeactivateOnIdle();
        }
        return new JobWriteResult { Job = ActionSecrets.Redact(job), Created = existing is null };
    }

    public Task<JobInfo?> GetAsync() => Task.FromResult(Shown);

    // Activation did the work: the precise timer is armed.
    public Task WakeAsync() => Task.CompletedTask;

    public async Task<bool> DeleteAsync()
    {
        if (Job is null)
        {
            return false;
        }
        _wakeUps.Disarm();
        // One write: the job's row goes, and its finished executions with it. Running ones finish, then report here and
        // find no job: their rows are dropped then (ExecutionChangedAsync).
        await state.ClearStateAsync();
        LogJobDeleted(JobId);
        return true;
    }

    public async Task<JobInfo?> PauseAsync()
    {
        if (Job is not { } job)
        {
            return null;
        }
        if (JobPlanning.Pause(job, clock.Now) is { } paused)
        {
            await SaveAsync(paused);
        }
        return Shown;
    }

    public async Task<JobInfo?> ResumeAsync()
    {
        if (Job is not { } job)
        {
            return null;
        }
        // Fire times that passed while paused are not replayed: the plan restarts from now.
        if (JobPlanning.Resume(job, _schedule!, clock.Now) is { } resumed)
        {
            await SaveAsync(resumed);
        }
        return Shown;
    }

    public async Task<JobWriteResult> TriggerAsync(TriggerOptions? overrides, string? idempotencyKey)
    {
        if (Job is not { } job)
        {
            return new JobWriteResult { Errors = [new("id", $"no job with id '{JobId}'.")], NotFound = true };
        }
        var errors = (overrides is null ? [] : JobSpecValidator.Validate(overrides, rules.Current))
            .Concat(idempotencyKey is null ? [] : IdempotencyKeys.Validate(idempotencyKey)).ToArray();
        if (errors.Length > 0)
        {
            return new JobWriteResult { Job = ActionSecrets.Redact(job), Errors = errors };
        }
        // An override's secrets are sealed as a definition's are; "***" keeps the job's own.
        var sealErrors = new List<FieldError>();
        var action = overrides?.Action is { } overridden ? secrets.Seal(overridden, job.Action, "action", sealErrors) : job.Action!;
        if (sealErrors.Count > 0)
        {
            return new JobWriteResult { Job = ActionSecrets.Redact(job), Errors = [.. sealErrors] };
        }
        var now = clock.Now;
        if (idempotencyKey is not null && IdempotencyKeys.FindTrigger(state.State.Triggers, idempotencyKey, now) is { } earlier)
        {
            // A retried trigger (the client timed out, say): the run it asked for exists already, unless its start
            // failed before the execution came to be: then it is started now, under the same id (a start is idempotent).
            if (earlier.Pending && ExecutionId.ScheduledAtOf(earlier.ExecutionId) is { } earlierInstant)
            {
                await StartExecutionAsync(ManualRequest(job, earlierInstant, action, overrides));
                earlier.Pending = false;
                await state.WriteStateAsync();
            }
            return new JobWriteResult { Job = ActionSecrets.Redact(job), ExecutionId = earlier.ExecutionId };
        }
        var instant = now > state.State.LastTriggerAt ? now : state.State.LastTriggerAt.AddTicks(1);
        state.State.LastTriggerAt = instant;
        var request = ManualRequest(job, instant, action, overrides);
        if (idempotencyKey is not null)
        {
            // Stored before the start is asked for: a start whose call fails after the execution came to be (its silo
            // died with the call in flight) must not let the client's retry of the key create a second execution.
            IdempotencyKeys.Remember(state.State.Triggers, idempotencyKey, ExecutionId.For(JobId, instant), now, pending: true);
            await state.WriteStateAsync();
        }
        var execution = await StartExecutionAsync(request);
        if (idempotencyKey is not null)
        {
            IdempotencyKeys.Remember(state.State.Triggers, idempotencyKey, execution.Id, now);
        }
        var writing = Stopwatch.GetTimestamp();
        await state.WriteStateAsync();
        SchedulerMetrics.RecordStage(SchedulerMetrics.Persistence, writing);
        return new JobWriteResult { Job = ActionSecrets.Redact(job), ExecutionId = execution.Id };
    }

    public async Task<Page<ExecutionInfo>?> ListExecutionsAsync(ExecutionQuery query) =>
        Job is null ? null : await catalog.QueryExecutionsAsync(JobId, query);

    public async Task FireDueAsync()
    {
        if (Job is not { State: JobState.Active } job || _schedule is not { } schedule)
        {
            return;
        }
        try
        {
            await FireDueCoreAsync(job, schedule);
        }
        catch (Exception ex) when (ex is not InconsistentStateException)
        {
            // Storage did not answer: try again shortly rather than wait for the next reminder tick. The fires already
            // started are safe to repeat: their executions are keyed by instant.
            LogFireFailed(ex, JobId, FireRetryDelay);
            ArmTimer(FireRetryDelay);
            throw;
        }
    }

    private async Task FireDueCoreAsync(JobInfo job, FireSchedule schedule)
    {
        var settings = options.CurrentValue;
        var now = clock.Now;
        if (job.NextFireAt is { } due && due <= now)
        {
            SchedulerMetrics.RecordFire(now - due);
        }
        if (JobFireRound.Plan(job, schedule, now, new FireOptions(settings.MisfireThreshold, settings.MaxCatchUpFires)) is not { } round)
        {
            ArmTimer();
            return;
        }
        foreach (var instant in round.Instants)
        {
            await FireAsync(job, round, instant);
        }
        if (round.MisfireSkipped > 0)
        {
            LogMisfireSkipped(JobId, round.MisfireSkipped, job.Misfire);
        }
        await SaveAsync(round.Finish());
    }

    public async Task ExecutionChangedAsync(string executionId, ExecutionState executionState)
    {
        if (Job is null)
        {
            // The job was deleted while this execution ran: its history goes now that it has finished.
            if (executionState is ExecutionState.Succeeded or ExecutionState.Failed or ExecutionState.Cancelled)
            {
                await catalog.DeleteFinishedExecutionsAsync([executionId]);
            }
            return;
        }
        var scheduledAt = state.State.Executions.LastOrDefault(r => r.Id == executionId)?.ScheduledAt ?? ExecutionId.ScheduledAtOf(executionId);
        _executions.Changed(executionId, executionState);
        if (executionState == ExecutionState.Succeeded && scheduledAt is { } instant && state.State.Waiters.Count > 0)
        {
            // DAG steps waiting for this job (waitFor.job): a success scheduled inside their window lets them start. The
            // waiters leave the list in memory; a re-sent notice after a crash is harmless (the step no longer waits).
            foreach (var waiter in SuccessWaiters.Satisfied(state.State.Waiters, instant, clock.Now))
            {
                GrainFactory.GetGrain<IDagRunGrain>(waiter.RunId).WaitSatisfiedAsync(waiter.StepId, executionId).Ignore();
            }
        }
    }

    public async Task<WaitAnswer> AwaitSuccessAsync(string runId, string stepId, DateTimeOffset since, DateTimeOffset until)
    {
        if (Job is null)
        {
            return new WaitAnswer { Exists = false };
        }
        var latest = await catalog.QueryExecutionsAsync(JobId, new ExecutionQuery { State = ExecutionState.Succeeded, From = since, Limit = 1 });
        if (latest.Items is [var execution, ..])
        {
            return new WaitAnswer { Exists = true, SatisfiedBy = execution.Id };
        }
        SuccessWaiters.Add(state.State.Waiters, runId, stepId, since, until, clock.Now);
        await state.WriteStateAsync();
        return new WaitAnswer { Exists = true };
    }

    /// <summary>
    /// Releases up to schema 6 kept one reminder per job; the upgrade deletes those rows, and one that is still
    /// delivered is removed here, after firing what is due.
    /// </summary>
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (Job is { State: JobState.Active })
        {
            await FireDueAsync();
        }
        await _wakeUps.RemoveReminderAsync(reminderName);
    }

    /// <summary>Finds out what really runs (when the policy cares), then skips, cancels and starts as the round decides.</summary>
    private async Task FireAsync(JobInfo job, JobFireRound round, DateTimeOffset instant)
    {
        var running = round.NeedsRunning ? await _executions.RunningAsync() : [];
        switch (round.Decide(running.Count))
        {
            case FireDecision.Skip:
                LogFireSkippedForbid(JobId, instant, running[0]);
                return;
            case FireDecision.CancelRunningThenStart:
                foreach (var id in running)
                {
                    await GrainFactory.GetGrain<IExecutionGrain>(id).CancelAsync();
                }
                break;
        }
        await StartExecutionAsync(CreateRequest(job, instant, "schedule"));
    }

    private ExecutionRequest ManualRequest(JobInfo job, DateTimeOffset instant, ActionSpec action, TriggerOptions? overrides) =>
        CreateRequest(job, instant, "manual") with
        {
            Action = action,
            Retry = overrides?.Retry ?? job.Retry,
            Timeout = overrides?.Timeout ?? job.Timeout,
        };

    private ExecutionRequest CreateRequest(JobInfo job, DateTimeOffset instant, string trigger) => new()
    {
        JobId = JobId,
        Owner = job.Owner,
        ScheduledAt = instant,
        Trigger = trigger,
        Action = job.Action!,
        Retry = job.Retry,
        Timeout = job.Timeout,
        Priority = job.Priority,
        Resources = job.Resources,
    };

    private Task<ExecutionInfo> StartExecutionAsync(ExecutionRequest request) =>
        _executions.StartAsync(request);

    private async Task SaveAsync(JobInfo job)
    {
        state.State.Job = job;
        var writing = Stopwatch.GetTimestamp();
        await state.WriteStateAsync();
        SchedulerMetrics.RecordStage(SchedulerMetrics.Persistence, writing);
        ArmTimer();
    }

    private void ArmTimer(TimeSpan? retryIn = null) => _wakeUps.Arm(WakeAt, retryIn);
}
