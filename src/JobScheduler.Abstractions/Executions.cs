using System.Text.Json.Serialization;

namespace JobScheduler;

/// <summary>One fire of a job, with every attempt made for it.</summary>
[GenerateSerializer, Immutable, Alias("JobScheduler.ExecutionInfo")]
public sealed record ExecutionInfo
{
    /// <summary><c>{jobId}@{scheduledAt as yyyyMMddTHHmmss.fffffffZ}</c>: the same fire always maps to the same id.</summary>
    [Id(0)] public string Id { get; init; } = "";
    [Id(1)] public string JobId { get; init; } = "";
    [Id(2)] public DateTimeOffset ScheduledAt { get; init; }
    [Id(3)] public ExecutionState State { get; init; }
    [Id(4)] public DateTimeOffset CreatedAt { get; init; }
    [Id(5)] public DateTimeOffset? FinishedAt { get; init; }
    [Id(6)] public AttemptInfo[] Attempts { get; init; } = [];

    /// <summary><c>schedule</c> for a scheduled fire, <c>manual</c> for a trigger, <c>dag</c> for a DAG step.</summary>
    [Id(7)] public string Trigger { get; init; } = "schedule";

    /// <summary>When the next attempt starts while <see cref="State"/> is <c>retrying</c>.</summary>
    [Id(8)] public DateTimeOffset? NextAttemptAt { get; init; }
    [Id(9)] public string Owner { get; init; } = "";

    /// <summary>For a DAG step: the run it belongs to and the step's id (its <see cref="JobId"/> is <c>{dagId}:{stepId}</c>).</summary>
    [Id(10)] public string? DagRunId { get; init; }
    [Id(11)] public string? StepId { get; init; }

    [JsonIgnore]
    public bool IsTerminal => State is ExecutionState.Succeeded or ExecutionState.Failed or ExecutionState.Cancelled;
}

/// <summary>One try at running an execution's action.</summary>
[GenerateSerializer, Immutable, Alias("JobScheduler.AttemptInfo")]
public sealed record AttemptInfo
{
    [Id(0)] public int Number { get; init; }

    /// <summary>The silo the attempt ran on (<c>host:port</c>).</summary>
    [Id(1)] public string Node { get; init; } = "";
    [Id(2)] public DateTimeOffset StartedAt { get; init; }
    [Id(3)] public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>Null while the attempt runs.</summary>
    [Id(4)] public AttemptOutcome? Outcome { get; init; }
    [Id(5)] public int? ExitCode { get; init; }
    [Id(6)] public int? HttpStatus { get; init; }
    [Id(7)] public string? Error { get; init; }

    /// <summary>The tail of stdout and stderr (or the head of an HTTP response), bounded by the server.</summary>
    [Id(8)] public string? Output { get; init; }

    /// <summary>Whether <see cref="Output"/> was cut to its bound.</summary>
    [Id(9)] public bool OutputTruncated { get; init; }

    /// <summary>The resource limits enforced on the attempt and how (cgroup, rlimit), or why they were not.</summary>
    [Id(10)] public string[]? Limits { get; init; }

    /// <summary>Named values the attempt published (a DAG step's outputs: <c>JOBSCHEDULER_OUTPUT</c>, or the handler's context).</summary>
    [Id(11)] public Dictionary<string, string>? Outputs { get; init; }

    public TimeSpan? Duration => FinishedAt - StartedAt;
}

/// <summary>A page of a list; pass <see cref="Next"/> back as the cursor for the following page.</summary>
[GenerateSerializer, Immutable, Alias("JobScheduler.Page`1")]
public sealed record Page<T>
{
    [Id(0)] public T[] Items { get; init; } = [];

    [Id(1)]
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? Next { get; init; }
}

/// <summary>Filters and paging for job lists.</summary>
[GenerateSerializer, Immutable, Alias("JobScheduler.JobQuery")]
public sealed record JobQuery
{
    [Id(0)] public string? Owner { get; init; }
    [Id(1)] public JobState? State { get; init; }

    /// <summary><c>key</c> (tag present) or <c>key:value</c>.</summary>
    [Id(2)] public string? Tag { get; init; }
    [Id(3)] public int Limit { get; init; } = 50;
    [Id(4)] public string? Cursor { get; init; }
}

/// <summary>Filters and paging for the executions of one job, latest first.</summary>
[GenerateSerializer, Immutable, Alias("JobScheduler.ExecutionQuery")]
public sealed record ExecutionQuery
{
    [Id(0)] public ExecutionState? State { get; init; }

    /// <summary>Only executions scheduled at or after this instant.</summary>
    [Id(1)] public DateTimeOffset? From { get; init; }

    /// <summary>Only executions scheduled before this instant.</summary>
    [Id(2)] public DateTimeOffset? To { get; init; }
    [Id(3)] public int Limit { get; init; } = 50;
    [Id(4)] public string? Cursor { get; init; }
}

/// <summary>A rejected field and why.</summary>
[GenerateSerializer, Immutable, Alias("JobScheduler.FieldError")]
public sealed record FieldError([property: Id(0)] string Field, [property: Id(1)] string Message);

/// <summary>The outcome of a create, replace or trigger: the result, or the fields that made it invalid.</summary>
[GenerateSerializer, Immutable, Alias("JobScheduler.JobWriteResult")]
public sealed record JobWriteResult
{
    [Id(0)] public JobInfo? Job { get; init; }

    /// <summary>True when the call created the job rather than replacing it.</summary>
    [Id(1)] public bool Created { get; init; }
    [Id(2)] public FieldError[] Errors { get; init; } = [];

    /// <summary>The execution a trigger created.</summary>
    [Id(3)] public string? ExecutionId { get; init; }

    /// <summary>A create-only call found the id taken.</summary>
    [Id(4)] public bool Conflict { get; init; }

    /// <summary>The job does not exist.</summary>
    [Id(5)] public bool NotFound { get; init; }

    public bool IsValid => Errors.Length == 0;
}

/// <summary>Counts by state, from the stored rows.</summary>
[GenerateSerializer, Immutable, Alias("JobScheduler.SchedulerStats")]
public sealed record SchedulerStats
{
    /// <summary>Jobs by state (<c>active</c>, <c>paused</c>, <c>completed</c>).</summary>
    [Id(0)] public Dictionary<string, long> Jobs { get; init; } = [];

    /// <summary>Executions kept in history, by state.</summary>
    [Id(1)] public Dictionary<string, long> Executions { get; init; } = [];
}

/// <summary>
/// The cluster's storage (the database) did not answer or refused the work; the call may be retried. Raised in
/// place of the database driver's own exception, which cannot cross the wire.
/// </summary>
[GenerateSerializer, Alias("JobScheduler.StorageUnavailableException")]
public sealed class StorageUnavailableException : Exception
{
    public StorageUnavailableException() { }

    public StorageUnavailableException(string message) : base(message) { }

    public StorageUnavailableException(string message, Exception inner) : base(message, inner) { }
}
