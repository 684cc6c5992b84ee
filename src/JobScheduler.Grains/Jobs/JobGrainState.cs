namespace JobScheduler.Grains.Jobs;

[GenerateSerializer, Alias("JobScheduler.JobGrainState")]
public sealed class JobGrainState
{
    /// <summary>The job as clients see it; null when it does not exist.</summary>
    [Id(0)] public JobInfo? Job { get; set; }

    /// <summary>When the current definition was created or replaced: the anchor of an interval without startAt.</summary>
    [Id(1)] public DateTimeOffset PlannedAt { get; set; }

    /// <summary>
    /// The job's executions not known to have finished, oldest first (what the concurrency policy looks at). Finished
    /// ones live on in their own grains and the query model; the job only counts them, for retention.
    /// </summary>
    [Id(2)] public List<ExecutionRecord> Executions { get; set; } = [];

    /// <summary>The instant of the latest manual trigger; the next one is strictly later, so its execution id is new.</summary>
    [Id(3)] public DateTimeOffset LastTriggerAt { get; set; }

    /// <summary>Grows with every write; the query model keeps the row of the highest revision it has seen.</summary>
    [Id(4)] public long Revision { get; set; }

    /// <summary>Executions started since the job was created, less those retention dropped (a count, not a list).</summary>
    [Id(5)] public int ExecutionCount { get; set; }
}

/// <summary>What a job remembers of one of its executions; the execution grain holds the rest.</summary>
[GenerateSerializer, Alias("JobScheduler.ExecutionRecord")]
public sealed class ExecutionRecord
{
    [Id(0)] public string Id { get; set; } = "";
    [Id(1)] public DateTimeOffset ScheduledAt { get; set; }

    /// <summary>Last state reported; authoritative once terminal, a hint before that.</summary>
    [Id(2)] public ExecutionState State { get; set; }

    public bool IsTerminal => State is ExecutionState.Succeeded or ExecutionState.Failed or ExecutionState.Cancelled;
}
