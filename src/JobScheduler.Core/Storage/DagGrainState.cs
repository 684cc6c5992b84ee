namespace JobScheduler.Core.Storage;

/// <summary>
/// A DAG as stored: one row (<c>js_dags</c> in SQL) that is both the DAG grain's state and what lists read.
/// </summary>
[GenerateSerializer, Alias("JobScheduler.DagGrainState")]
public sealed class DagGrainState
{
    /// <summary>The DAG as clients see it; null when it does not exist.</summary>
    [Id(0)] public DagInfo? Dag { get; set; }

    /// <summary>When the current definition was created or replaced: the anchor of an interval without startAt.</summary>
    [Id(1)] public DateTimeOffset PlannedAt { get; set; }

    /// <summary>The DAG's runs not known to have finished, oldest first (what the concurrency policy looks at).</summary>
    [Id(2)] public List<RunRecord> Runs { get; set; } = [];

    /// <summary>The instant of the latest manual trigger; the next one is strictly later, so its run id is new.</summary>
    [Id(3)] public DateTimeOffset LastTriggerAt { get; set; }

    /// <summary>Recent trigger idempotency keys and the runs they started, oldest first.</summary>
    [Id(4)] public List<IdempotentTrigger> Triggers { get; set; } = [];

    /// <summary>Steps of other DAGs' runs waiting for a successful run of this DAG.</summary>
    [Id(5)] public List<SuccessWaiter> Waiters { get; set; } = [];

    /// <summary>Runs started since the DAG was created, less those retention dropped (a count, for retention by count).</summary>
    [Id(6)] public int RunCount { get; set; }
}

/// <summary>What a DAG remembers of one of its runs; the run's own row holds the rest.</summary>
[GenerateSerializer, Alias("JobScheduler.RunRecord")]
public sealed class RunRecord
{
    [Id(0)] public string Id { get; set; } = "";
    [Id(1)] public DateTimeOffset ScheduledAt { get; set; }
    [Id(2)] public DagRunState State { get; set; }
}

/// <summary>
/// A DAG step waiting (<c>waitFor</c>) for a successful run of a job or DAG scheduled at or after <see cref="Since"/>;
/// the job or DAG remembers it until <see cref="Until"/> and tells the run when such a run succeeds.
/// </summary>
[GenerateSerializer, Alias("JobScheduler.SuccessWaiter")]
public sealed class SuccessWaiter
{
    [Id(0)] public string RunId { get; set; } = "";
    [Id(1)] public string StepId { get; set; } = "";
    [Id(2)] public DateTimeOffset Since { get; set; }
    [Id(3)] public DateTimeOffset Until { get; set; }
}
