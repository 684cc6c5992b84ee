namespace JobScheduler.Core.Storage;

/// <summary>
/// A job as stored: one row (<c>js_jobs</c> in SQL) that is both the job grain's state and what lists read. The alias
/// and ids are those of the grain state of schema 5, so its binary payloads still load for the upgrade.
/// </summary>
[GenerateSerializer, Alias("JobScheduler.JobGrainState")]
public sealed class JobGrainState
{
    /// <summary>The job as clients see it; null when it does not exist.</summary>
    [Id(0)] public JobInfo? Job { get; set; }

    /// <summary>When the current definition was created or replaced: the anchor of an interval without startAt.</summary>
    [Id(1)] public DateTimeOffset PlannedAt { get; set; }

    /// <summary>
    /// The job's executions not known to have finished, oldest first (what the concurrency policy looks at). Finished
    /// ones live on in their own rows; the job only counts them, for retention.
    /// </summary>
    [Id(2)] public List<ExecutionRecord> Executions { get; set; } = [];

    /// <summary>The instant of the latest manual trigger; the next one is strictly later, so its execution id is new.</summary>
    [Id(3)] public DateTimeOffset LastTriggerAt { get; set; }

    // [Id(4)] was a revision for a separate query model (schema 5); the row is the query model now.

    /// <summary>Executions started since the job was created, less those retention dropped (a count, not a list).</summary>
    [Id(5)] public int ExecutionCount { get; set; }

    /// <summary>
    /// Recent trigger idempotency keys and the executions they created, oldest first, bounded by
    /// <see cref="IdempotencyKeys.MaxKept"/>: a trigger retried with the same key gets the same execution.
    /// </summary>
    [Id(6)] public List<IdempotentTrigger> Triggers { get; set; } = [];

    /// <summary>DAG steps waiting (<c>waitFor.job</c>) for a successful execution of this job.</summary>
    [Id(7)] public List<SuccessWaiter> Waiters { get; set; } = [];
}

/// <summary>What a job remembers of one of its executions; the execution's own row holds the rest.</summary>
[GenerateSerializer, Alias("JobScheduler.ExecutionRecord")]
public sealed class ExecutionRecord
{
    [Id(0)] public string Id { get; set; } = "";
    [Id(1)] public DateTimeOffset ScheduledAt { get; set; }

    /// <summary>Last state reported; authoritative once terminal, a hint before that.</summary>
    [Id(2)] public ExecutionState State { get; set; }

    public bool IsTerminal => State is ExecutionState.Succeeded or ExecutionState.Failed or ExecutionState.Cancelled;
}

/// <summary>A trigger's idempotency key, when it was first seen, and the execution it created.</summary>
[GenerateSerializer, Alias("JobScheduler.IdempotentTrigger")]
public sealed class IdempotentTrigger
{
    [Id(0)] public string Key { get; set; } = "";
    [Id(1)] public string ExecutionId { get; set; } = "";
    [Id(2)] public DateTimeOffset At { get; set; }

    /// <summary>
    /// Remembered, but its execution not yet known to have started: the key is stored before the start is asked for,
    /// so that a start that fails after the execution came to be (its silo died with the call in flight) cannot let
    /// the client's retry create a second one. A retry of a pending key starts that same execution (idempotent by id).
    /// </summary>
    [Id(3)] public bool Pending { get; set; }
}
