using System.Diagnostics;
using JobScheduler.Core;
using JobScheduler.Core.Jobs;
using JobScheduler.Core.Storage;
using JobScheduler.Grains.Actions;
using JobScheduler.Grains.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;

namespace JobScheduler.Grains.Jobs;

/// <summary>
/// One job. Two wake-ups drive it:
/// <list type="bullet">
/// <item>a precise in-memory timer on the scheduler clock, armed for <c>nextFireAt</c> while the grain is active
/// (millisecond precision; Orleans reminders cannot go below one minute);</item>
/// <item>a durable reminder, the backstop that re-activates the grain after deactivation or a restart: it first
/// ticks <see cref="ReminderLead"/> before the next fire, then every minute, and is moved forward only when the
/// next fire is far away, so frequent jobs cost no reminder writes per fire.</item>
/// </list>
/// Executions are started before the job's own state is written, and their ids derive from the scheduled
/// instant, so a crash between the two re-fires the same instant onto the same execution instead of losing it.
/// </summary>
[GrainType("job")]
public sealed partial class JobGrain(
    [PersistentState(StateNames.Job, StateNames.Provider)] IPersistentState<JobGrainState> state,
    SchedulerClock clock,
    ActionRulesSource rules,
    IJobCatalog catalog,
    IOptionsMonitor<JobSchedulerOptions> options,
    ILogger<JobGrain> logger) : Grain, IJobGrain, IRemindable
{
    internal const string ReminderName = "fire";
    internal static readonly TimeSpan ReminderPeriod = TimeSpan.FromMinutes(1);
    internal static readonly TimeSpan ReminderLead = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ReminderSlack = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan MaxTimerDue = TimeSpan.FromHours(1);
    private static readonly TimeSpan FireRetryDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan IdleAfterSave = TimeSpan.FromMinutes(10);

    private IJobGrain _self = null!;
    private FireSchedule? _schedule;
    private ITimer? _timer;
    private DateTimeOffset? _reminderFirstTick;
    private bool _reminderChecked;
    private int _recordsCheckAt = MinRecordsCheck;
    private const int MinRecordsCheck = 16;

    private JobInfo? Job => state.State.Job is { State: not JobState.Deleted } job ? job : null;

    private string JobId => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _self = this.AsReference<IJobGrain>();
        // Earlier versions kept finished executions here too; the query model holds them.
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
        _timer?.Dispose();
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
            return new JobWriteResult { Job = existing, Conflict = true, Errors = [new("id", $"a job with id '{JobId}' already exists.")] };
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
            // Nothing to do here for a while: the reminder wakes the job before its fire, so a million jobs far in the
            // future cost storage rows, not memory.
            DeactivateOnIdle();
        }
        return new JobWriteResult { Job = job, Created = existing is null };
    }

    public Task<JobInfo?> GetAsync() => Task.FromResult(Job);

    public async Task<bool> DeleteAsync()
    {
        if (Job is null)
        {
            return false;
        }
        _timer?.Dispose();
        _timer = null;
        // One write: the job's row goes, and its finished executions with it. Running ones finish, then report here and
        // find no job: their rows are dropped then (ExecutionChangedAsync).
        await state.ClearStateAsync();
        await SyncReminderAsync();
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
        return Job;
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
        return Job;
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
            return new JobWriteResult { Job = job, Errors = errors };
        }
        var now = clock.Now;
        if (idempotencyKey is not null && IdempotencyKeys.Find(state.State.Triggers, idempotencyKey, now) is { } earlier)
        {
            // A retried trigger (the client timed out, say): the run it asked for exists already.
            return new JobWriteResult { Job = job, ExecutionId = earlier };
        }
        var instant = now > state.State.LastTriggerAt ? now : state.State.LastTriggerAt.AddTicks(1);
        state.State.LastTriggerAt = instant;
        var request = CreateRequest(job, instant, "manual") with
        {
            Action = overrides?.Action ?? job.Action!,
            Retry = overrides?.Retry ?? job.Retry,
            Timeout = overrides?.Timeout ?? job.Timeout,
        };
        var execution = await StartExecutionAsync(request);
        if (idempotencyKey is not null)
        {
            IdempotencyKeys.Remember(state.State.Triggers, idempotencyKey, execution.Id, now);
        }
        var writing = Stopwatch.GetTimestamp();
        await state.WriteStateAsync();
        SchedulerMetrics.RecordStage(SchedulerMetrics.Persistence, writing);
        return new JobWriteResult { Job = job, ExecutionId = execution.Id };
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
            SchedulerMetrics.RecordStage(SchedulerMetrics.Fire, now - due);
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
        var records = state.State.Executions;
        var index = records.FindLastIndex(r => r.Id == executionId);
        if (index >= 0)
        {
            // Kept in memory only: the next write of the job persists it (a stale record is asked about before use).
            records[index].State = executionState;
            if (records[index].IsTerminal)
            {
                records.RemoveAt(index);
            }
        }
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        _reminderChecked = true;
        if (Job is { State: JobState.Active })
        {
            await FireDueAsync();
        }
        await SyncReminderAsync();
    }

    /// <summary>Finds out what really runs (when the policy cares), then skips, cancels and starts as the round decides.</summary>
    private async Task FireAsync(JobInfo job, JobFireRound round, DateTimeOffset instant)
    {
        var running = round.NeedsRunning ? await RunningExecutionsAsync() : [];
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

    private async Task<List<string>> RunningExecutionsAsync()
    {
        var running = new List<string>();
        foreach (var record in state.State.Executions.Where(r => !r.IsTerminal))
        {
            // The recorded state is only a hint until terminal: ask the execution itself.
            var info = await GrainFactory.GetGrain<IExecutionGrain>(record.Id).GetAsync();
            record.State = info?.State ?? ExecutionState.Cancelled;
            if (!record.IsTerminal)
            {
                running.Add(record.Id);
            }
        }
        state.State.Executions.RemoveAll(r => r.IsTerminal);
        return running;
    }

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

    private async Task<ExecutionInfo> StartExecutionAsync(ExecutionRequest request)
    {
        var id = ExecutionId.For(JobId, request.ScheduledAt);
        var info = await GrainFactory.GetGrain<IExecutionGrain>(id).StartAsync(request);
        var records = state.State.Executions;
        var index = records.FindLastIndex(r => r.Id == id);
        if (index < 0)
        {
            // New (a repeated fire of the same instant lands on the same execution and is not counted twice).
            state.State.ExecutionCount++;
            if (!info.IsTerminal)
            {
                records.Add(new ExecutionRecord { Id = id, ScheduledAt = request.ScheduledAt, State = info.State });
            }
            if (records.Count > _recordsCheckAt)
            {
                // An execution that ended while this job was not active (or after its last write) left a stale record:
                // now and then ask the executions themselves, so the list stays as short as what really runs.
                await RunningExecutionsAsync();
                _recordsCheckAt = Math.Max(MinRecordsCheck, records.Count * 2);
            }
        }
        else if (info.IsTerminal)
        {
            records.RemoveAt(index);
        }
        await PruneHistoryAsync();
        return info;
    }

    /// <summary>
    /// Drops the oldest finished executions beyond the retention bound, found through the query model. Small bounds
    /// are kept exactly; from 100 up, pruning waits until a tenth more have gathered, so that it costs one query per
    /// batch rather than one per execution.
    /// </summary>
    private async Task PruneHistoryAsync()
    {
        var keep = options.CurrentValue.MaxExecutionsPerJob;
        var slack = keep >= 100 ? keep / 10 : 0;
        if (state.State.ExecutionCount <= keep + slack)
        {
            return;
        }
        var beyond = await catalog.FindExecutionsBeyondAsync(JobId, keep, 1000);
        await catalog.DeleteFinishedExecutionsAsync([.. beyond]);
        // Executions still running beyond the bound are found again at the next prune.
        state.State.ExecutionCount = keep;
    }

    private async Task SaveAsync(JobInfo job)
    {
        state.State.Job = job;
        var writing = Stopwatch.GetTimestamp();
        await state.WriteStateAsync();
        SchedulerMetrics.RecordStage(SchedulerMetrics.Persistence, writing);
        await SyncReminderAsync();
        ArmTimer();
    }

    private void ArmTimer(TimeSpan? retryIn = null)
    {
        _timer?.Dispose();
        _timer = null;
        if (Job is not { State: JobState.Active, NextFireAt: { } next })
        {
            return;
        }
        var due = retryIn ?? next - clock.Now;
        // Rounded up to whole milliseconds so the timer never fires just before the instant.
        due = due <= TimeSpan.Zero ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Math.Ceiling(due.TotalMilliseconds));
        if (due > MaxTimerDue)
        {
            due = MaxTimerDue;
        }
        _timer = clock.Time.CreateTimer(static self => ((JobGrain)self!).OnTimer(), this, due, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Runs on a timer thread, outside the grain: re-enters through a grain call so the turn-based guarantees hold.</summary>
    private void OnTimer() => _ = FireFromTimerAsync();

    private async Task FireFromTimerAsync()
    {
        try
        {
            await _self.FireDueAsync();
        }
        catch (Exception ex)
        {
            LogTimerFireFailed(ex, JobId);
        }
    }

    /// <summary>Keeps the durable reminder in step with <c>nextFireAt</c>, writing it only when it must move.</summary>
    private async Task SyncReminderAsync()
    {
        var now = clock.Now;
        if (Job is not { State: JobState.Active, NextFireAt: { } next })
        {
            if (_reminderFirstTick is not null || !_reminderChecked)
            {
                if (await this.GetReminder(ReminderName) is { } reminder)
                {
                    await this.UnregisterReminder(reminder);
                }
                _reminderFirstTick = null;
                _reminderChecked = true;
            }
            return;
        }
        if (_reminderFirstTick is { } first && first <= next && next - now <= ReminderSlack)
        {
            return;
        }
        var due = next - ReminderLead - now;
        if (due < TimeSpan.FromSeconds(1))
        {
            // A zero due time can lose the first tick in Orleans; a second is ample since the timer does the precise work.
            due = TimeSpan.FromSeconds(1);
        }
        var writing = Stopwatch.GetTimestamp();
        await this.RegisterOrUpdateReminder(ReminderName, due, ReminderPeriod);
        SchedulerMetrics.RecordStage(SchedulerMetrics.Reminder, writing);
        _reminderFirstTick = now + due;
        _reminderChecked = true;
    }
}
