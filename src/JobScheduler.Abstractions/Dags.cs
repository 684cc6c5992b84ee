using System.Text.Json.Serialization;

namespace JobScheduler;

/// <summary>When a DAG step runs, given how its upstream steps (its <c>dependsOn</c>) ended.</summary>
public enum StepCondition
{
    /// <summary>Every upstream step succeeded (a failed one counts if it is <c>continueOnFailure</c>). Default.</summary>
    AllSucceeded = 0,
    /// <summary>Every upstream step is done, whatever its end (skipped and cancelled included).</summary>
    AllDone = 1,
    /// <summary>Every upstream step is done and at least one failed: clean-up and alerting steps.</summary>
    AnyFailed = 2,
}

/// <summary>State of one run of a DAG.</summary>
public enum DagRunState
{
    Running = 0,
    /// <summary>Every step that had to run succeeded (or failed with <c>continueOnFailure</c>).</summary>
    Succeeded = 1,
    /// <summary>A step failed after its retries (and was not <c>continueOnFailure</c>), or a waited-for run never came.</summary>
    Failed = 2,
    Cancelled = 3,
}

/// <summary>State of one step within a DAG run.</summary>
public enum StepState
{
    /// <summary>Its upstream steps have not all finished yet.</summary>
    Pending = 0,
    /// <summary>Its upstream condition holds, and it waits for a run of another job or DAG (<c>waitFor</c>).</summary>
    Waiting = 1,
    /// <summary>Its execution exists and has not finished.</summary>
    Running = 2,
    Succeeded = 3,
    /// <summary>Its execution failed after its retries, or its <c>waitFor</c> timed out.</summary>
    Failed = 4,
    /// <summary>Its upstream condition can no longer hold: it will not run in this run.</summary>
    Skipped = 5,
    Cancelled = 6,
}

/// <summary>
/// What a client submits for a DAG (SPEC §6): steps and their dependencies, and when the DAG runs. The schedule,
/// concurrency, misfire, tags and pause/resume behave as a job's do; <c>concurrency</c> applies to runs.
/// </summary>
[GenerateSerializer, Immutable, Alias("JobScheduler.DagSpec")]
public record DagSpec
{
    [Id(0)] public string? Name { get; init; }

    /// <summary>When the DAG runs by itself. Default <c>manual</c>: only when triggered.</summary>
    [Id(1)] public ScheduleSpec? Schedule { get; init; }

    /// <summary>What a scheduled run does while an earlier run still runs. Default <see cref="ConcurrencyPolicy.Allow"/>.</summary>
    [Id(2)] public ConcurrencyPolicy Concurrency { get; init; }

    [Id(3)] public MisfirePolicy Misfire { get; init; }

    [Id(4)] public Dictionary<string, string>? Tags { get; init; }

    /// <summary>The steps; ids are unique within the DAG. Required, at least one.</summary>
    [Id(5)] public DagStepSpec[]? Steps { get; init; }

    /// <summary>The definition alone, without the identity and state a <see cref="DagInfo"/> adds.</summary>
    public DagSpec ToSpec() => new()
    {
        Name = Name,
        Schedule = Schedule,
        Concurrency = Concurrency,
        Misfire = Misfire,
        Tags = Tags,
        Steps = Steps,
    };
}

/// <summary>One step of a DAG: a job action with its own policies, and what it waits for.</summary>
[GenerateSerializer, Immutable, Alias("JobScheduler.DagStepSpec")]
public sealed record DagStepSpec
{
    /// <summary>Unique within the DAG: letters, digits, '_' and '-'.</summary>
    [Id(0)] public string? Id { get; init; }
    [Id(1)] public ActionSpec? Action { get; init; }
    [Id(2)] public RetryPolicy? Retry { get; init; }
    [Id(3)] public TimeSpan? Timeout { get; init; }
    [Id(4)] public ResourceRequest? Resources { get; init; }
    [Id(5)] public int Priority { get; init; }

    /// <summary>The steps this one runs after (its upstream); none means it starts with the run.</summary>
    [Id(6)] public string[]? DependsOn { get; init; }

    [Id(7)] public StepCondition Condition { get; init; }

    /// <summary>A failure of this step does not fail the run, and its dependants see it as done rather than failed.</summary>
    [Id(8)] public bool ContinueOnFailure { get; init; }

    /// <summary>Another job's or DAG's successful run this step waits for once its upstream condition holds.</summary>
    [Id(9)] public WaitForSpec? WaitFor { get; init; }
}

/// <summary>
/// Waits for the latest successful run of a job (or a DAG) whose scheduled instant lies within <see cref="Within"/>
/// before this run's scheduled instant (or after it). Event-driven: the step holds no slot while it waits.
/// </summary>
[GenerateSerializer, Immutable, Alias("JobScheduler.WaitForSpec")]
public sealed record WaitForSpec
{
    /// <summary>A job id; exactly one of <see cref="Job"/> and <see cref="Dag"/>.</summary>
    [Id(0)] public string? Job { get; init; }
    [Id(1)] public string? Dag { get; init; }

    /// <summary>How far before the run's scheduled instant a run still counts. Default 24 h.</summary>
    [Id(2)] public TimeSpan? Within { get; init; }

    /// <summary>How long the step waits before it fails. Default 1 h.</summary>
    [Id(3)] public TimeSpan? Timeout { get; init; }
}

/// <summary>A DAG as stored: its definition plus identity, state and timing.</summary>
[GenerateSerializer, Immutable, Alias("JobScheduler.DagInfo")]
public sealed record DagInfo : DagSpec
{
    public DagInfo() { }

    public DagInfo(DagSpec spec) : base(spec) { }

    [Id(0)] public string Id { get; init; } = "";
    [Id(1)] public string Owner { get; init; } = "";

    /// <summary><c>active</c>, <c>paused</c>, or <c>completed</c> (a <c>once</c> DAG that has run).</summary>
    [Id(2)] public JobState State { get; init; }

    [Id(3)]
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public DateTimeOffset? NextFireAt { get; init; }

    [Id(4)] public DateTimeOffset? LastFireAt { get; init; }
    [Id(5)] public DateTimeOffset CreatedAt { get; init; }
    [Id(6)] public DateTimeOffset UpdatedAt { get; init; }
    [Id(7)] public long SkippedFires { get; init; }
}

/// <summary>One run of a DAG, with every step's state.</summary>
[GenerateSerializer, Immutable, Alias("JobScheduler.DagRunInfo")]
public sealed record DagRunInfo
{
    /// <summary><c>{dagId}@{scheduledAt as yyyyMMddTHHmmss.fffffffZ}</c>, like an execution id.</summary>
    [Id(0)] public string Id { get; init; } = "";
    [Id(1)] public string DagId { get; init; } = "";
    [Id(2)] public string Owner { get; init; } = "";
    [Id(3)] public DagRunState State { get; init; }
    [Id(4)] public DateTimeOffset ScheduledAt { get; init; }

    /// <summary><c>schedule</c> or <c>manual</c>.</summary>
    [Id(5)] public string Trigger { get; init; } = "schedule";
    [Id(6)] public DateTimeOffset StartedAt { get; init; }

    /// <summary>When the run ended; null (shown on the wire, as SPEC §6 lists it) while it runs.</summary>
    [Id(7)]
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>The parameters the run was triggered with; every step sees them.</summary>
    [Id(8)] public Dictionary<string, string>? Parameters { get; init; }
    [Id(9)] public DagStepRunInfo[] Steps { get; init; } = [];

    /// <summary>Times the run was retried from its failed steps.</summary>
    [Id(10)] public int Retries { get; init; }

    [JsonIgnore]
    public bool IsTerminal => State != DagRunState.Running;
}

/// <summary>One step of a run.</summary>
[GenerateSerializer, Immutable, Alias("JobScheduler.DagStepRunInfo")]
public sealed record DagStepRunInfo
{
    [Id(0)] public string Id { get; init; } = "";
    [Id(1)] public StepState State { get; init; }

    // SPEC §6 shows every step with executionId, startedAt, finishedAt and outputs: they are on the wire even before
    // they are known (null, and an empty object for outputs), so a client reads one shape whatever the step's state.

    /// <summary>The execution that runs (or ran) the step: its attempts, output and timing are in the executions API. Null until it starts.</summary>
    [Id(2)]
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? ExecutionId { get; init; }

    /// <summary>When the step's execution started; null until it starts.</summary>
    [Id(3)]
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When the step ended; null until it is done.</summary>
    [Id(4)]
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>
    /// What the step published (its last successful attempt's outputs); empty until then, and when it published
    /// nothing. Never null: a null read from an older payload or document reads as empty.
    /// </summary>
    // Field 5 keeps its id and type: Orleans reads it into the backing field, where an older sender's null stays until
    // the getter turns it into an empty dictionary; JSON writes it through the getter, so always as an object.
    [Id(5)] public Dictionary<string, string> Outputs { get => field ?? []; init; } = [];

    /// <summary>Why the step was skipped, failed without an execution, or is waiting.</summary>
    [Id(6)] public string? Reason { get; init; }

    /// <summary>The run of the waited-for job or DAG that satisfied <c>waitFor</c>.</summary>
    [Id(7)] public string? WaitedFor { get; init; }

    /// <summary>How many executions the step has had (a retry of the run from its failed steps adds one).</summary>
    [Id(8)] public int Tries { get; init; }

    /// <summary>While the step is <c>waiting</c>: when its <c>waitFor</c> times out.</summary>
    [Id(9)] public DateTimeOffset? WaitUntil { get; init; }

    [JsonIgnore]
    public bool IsDone => State is StepState.Succeeded or StepState.Failed or StepState.Skipped or StepState.Cancelled;
}

/// <summary>A manual run's options.</summary>
[GenerateSerializer, Immutable, Alias("JobScheduler.DagTriggerOptions")]
public sealed record DagTriggerOptions
{
    /// <summary>Named values every step of the run receives (environment <c>JOBSCHEDULER_PARAM_&lt;NAME&gt;</c>, the handler's context, http templates).</summary>
    [Id(0)] public Dictionary<string, string>? Parameters { get; init; }
}

/// <summary>Filters and paging for DAG lists (ordered by id).</summary>
[GenerateSerializer, Immutable, Alias("JobScheduler.DagQuery")]
public sealed record DagQuery
{
    [Id(0)] public string? Owner { get; init; }
    [Id(1)] public JobState? State { get; init; }
    [Id(2)] public string? Tag { get; init; }
    [Id(3)] public int Limit { get; init; } = 50;
    [Id(4)] public string? Cursor { get; init; }
}

/// <summary>Filters and paging for the runs of one DAG, latest scheduled first.</summary>
[GenerateSerializer, Immutable, Alias("JobScheduler.DagRunQuery")]
public sealed record DagRunQuery
{
    [Id(0)] public DagRunState? State { get; init; }

    /// <summary>Only runs scheduled at or after this instant.</summary>
    [Id(1)] public DateTimeOffset? From { get; init; }

    /// <summary>Only runs scheduled before this instant.</summary>
    [Id(2)] public DateTimeOffset? To { get; init; }
    [Id(3)] public int Limit { get; init; } = 50;
    [Id(4)] public string? Cursor { get; init; }
}

/// <summary>The outcome of a DAG create, replace or trigger.</summary>
[GenerateSerializer, Immutable, Alias("JobScheduler.DagWriteResult")]
public sealed record DagWriteResult
{
    [Id(0)] public DagInfo? Dag { get; init; }
    [Id(1)] public bool Created { get; init; }
    [Id(2)] public FieldError[] Errors { get; init; } = [];

    /// <summary>The run a trigger started.</summary>
    [Id(3)] public DagRunInfo? Run { get; init; }
    [Id(4)] public bool Conflict { get; init; }
    [Id(5)] public bool NotFound { get; init; }

    public bool IsValid => Errors.Length == 0;
}

/// <summary>The outcome of a run's cancel or retry: the run, or why the request does not apply.</summary>
[GenerateSerializer, Immutable, Alias("JobScheduler.DagRunWriteResult")]
public sealed record DagRunWriteResult
{
    [Id(0)] public DagRunInfo? Run { get; init; }
    [Id(1)] public FieldError[] Errors { get; init; } = [];
    [Id(2)] public bool NotFound { get; init; }

    public bool IsValid => Errors.Length == 0;
}

/// <summary>Everything a run needs, snapshotted from the DAG when the run starts (a later change of the DAG does not touch it).</summary>
[GenerateSerializer, Immutable, Alias("JobScheduler.DagRunRequest")]
public sealed record DagRunRequest
{
    [Id(0)] public string DagId { get; init; } = "";
    [Id(1)] public string Owner { get; init; } = "";
    [Id(2)] public DateTimeOffset ScheduledAt { get; init; }
    [Id(3)] public string Trigger { get; init; } = "schedule";
    [Id(4)] public DagStepSpec[] Steps { get; init; } = [];
    [Id(5)] public Dictionary<string, string>? Parameters { get; init; }

    /// <summary>The W3C <c>traceparent</c> of the run's span (its steps' spans join that trace); null when tracing was off.</summary>
    [Id(6)] public string? TraceParent { get; init; }
}

/// <summary>How run ids and step execution ids are formed.</summary>
public static class DagRunId
{
    /// <summary>A run's id: the DAG id and the scheduled instant, as an execution id is formed.</summary>
    public static string For(string dagId, DateTimeOffset scheduledAt) => ExecutionId.For(dagId, scheduledAt);

    /// <summary>
    /// The execution id of a step's <paramref name="try"/>-th execution in a run: <c>{runId}:{stepId}</c>, then
    /// <c>{runId}:{stepId}~{try}</c> for a retry of the run. Safe in a URL path segment as it is.
    /// </summary>
    public static string StepExecution(string runId, string stepId, int @try) =>
        @try <= 1 ? $"{runId}:{stepId}" : $"{runId}:{stepId}~{@try}";

    /// <summary>The job id a step's executions carry: <c>{dagId}:{stepId}</c> (never a job's id: those have no ':').</summary>
    public static string StepJobId(string dagId, string stepId) => $"{dagId}:{stepId}";

    /// <summary>The DAG id part of a run id.</summary>
    public static string DagIdOf(string runId) => ExecutionId.JobIdOf(runId);
}
