using System.Text.Json.Serialization;

namespace JobScheduler;

/// <summary>
/// What a client submits: when a job fires, what it runs and with which policies.
/// Everything but <see cref="Schedule"/> and <see cref="Action"/> is optional and has a documented default.
/// </summary>
[GenerateSerializer, Immutable, Alias("JobScheduler.JobSpec")]
public record JobSpec
{
    /// <summary>Optional human-readable name.</summary>
    [Id(0)] public string? Name { get; init; }

    /// <summary>When the job fires. Required.</summary>
    [Id(1)] public ScheduleSpec? Schedule { get; init; }

    /// <summary>What each fire runs. Required.</summary>
    [Id(2)] public ActionSpec? Action { get; init; }

    /// <summary>Retries of failed attempts. Default: one attempt, no retry.</summary>
    [Id(3)] public RetryPolicy? Retry { get; init; }

    /// <summary>Per-attempt time limit; the attempt is killed and counted as <c>timedOut</c>. Default: none.</summary>
    [Id(4)] public TimeSpan? Timeout { get; init; }

    /// <summary>Resources an attempt asks for.</summary>
    [Id(5)] public ResourceRequest? Resources { get; init; }

    /// <summary>0 (lowest, default) to 9; orders executions waiting for capacity.</summary>
    [Id(6)] public int Priority { get; init; }

    /// <summary>What a fire does while an earlier execution still runs. Default <see cref="ConcurrencyPolicy.Allow"/>.</summary>
    [Id(7)] public ConcurrencyPolicy Concurrency { get; init; }

    /// <summary>What happens to fire times missed beyond the misfire threshold. Default <see cref="MisfirePolicy.FireOnce"/>.</summary>
    [Id(8)] public MisfirePolicy Misfire { get; init; }

    /// <summary>Free-form labels; <c>GET /api/jobs?tag=key:value</c> filters on them.</summary>
    [Id(9)] public Dictionary<string, string>? Tags { get; init; }

    /// <summary>The definition alone, without the identity and state a <see cref="JobInfo"/> adds.</summary>
    public JobSpec ToSpec() => new()
    {
        Name = Name,
        Schedule = Schedule,
        Action = Action,
        Retry = Retry,
        Timeout = Timeout,
        Resources = Resources,
        Priority = Priority,
        Concurrency = Concurrency,
        Misfire = Misfire,
        Tags = Tags,
    };
}

/// <summary>When a job fires. Which fields apply depends on <see cref="Kind"/>.</summary>
[GenerateSerializer, Immutable, Alias("JobScheduler.ScheduleSpec")]
public sealed record ScheduleSpec
{
    [Id(0)] public ScheduleKind? Kind { get; init; }

    /// <summary><c>once</c>: the instant to fire at. An instant already past fires at once.</summary>
    [Id(1)] public DateTimeOffset? At { get; init; }

    /// <summary><c>interval</c>: the period (ISO-8601 duration, at least 100 ms).</summary>
    [Id(2)] public TimeSpan? Every { get; init; }

    /// <summary><c>interval</c>: the first fire time; fires are at <c>startAt + k·every</c>. Default: creation time + every.</summary>
    [Id(3)] public DateTimeOffset? StartAt { get; init; }

    /// <summary><c>cron</c>: 5 fields (minute precision) or 6 with a leading seconds field.</summary>
    [Id(4)] public string? Expression { get; init; }

    /// <summary><c>cron</c>: IANA time zone the expression is read in. Default <c>UTC</c>.</summary>
    [Id(5)] public string? TimeZone { get; init; }

    public static ScheduleSpec OnceAt(DateTimeOffset at) => new() { Kind = ScheduleKind.Once, At = at };

    public static ScheduleSpec Interval(TimeSpan every, DateTimeOffset? startAt = null) =>
        new() { Kind = ScheduleKind.Interval, Every = every, StartAt = startAt };

    public static ScheduleSpec Cron(string expression, string? timeZone = null) =>
        new() { Kind = ScheduleKind.Cron, Expression = expression, TimeZone = timeZone };

    public static ScheduleSpec Manual() => new() { Kind = ScheduleKind.Manual };
}

/// <summary>What a job runs. Which fields apply depends on <see cref="Kind"/>.</summary>
[GenerateSerializer, Immutable, Alias("JobScheduler.ActionSpec")]
public sealed record ActionSpec
{
    [Id(0)] public ActionKind? Kind { get; init; }

    /// <summary>
    /// <c>command</c>: the executable, an absolute path or a name looked up on the server's PATH (a relative path is
    /// refused). A server running as root runs it as <c>JobScheduler:Actions:Command:RunAsUser</c> (default
    /// <c>nobody</c>), never as root.
    /// </summary>
    [Id(1)] public string? Command { get; init; }

    /// <summary><c>command</c>: arguments, passed as-is (no shell).</summary>
    [Id(2)] public string[]? Args { get; init; }

    /// <summary><c>command</c>: extra environment variables.</summary>
    [Id(3)] public Dictionary<string, string>? Env { get; init; }

    /// <summary>
    /// <c>command</c>: working directory. Default: the server's, or a fresh directory of the account's own when a root
    /// server runs the command as another account.
    /// </summary>
    [Id(4)] public string? WorkingDirectory { get; init; }

    /// <summary><c>http</c>: method. Default <c>GET</c>.</summary>
    [Id(5)] public string? Method { get; init; }

    /// <summary><c>http</c>: absolute http or https URL.</summary>
    [Id(6)] public string? Url { get; init; }

    /// <summary><c>http</c>: request headers.</summary>
    [Id(7)] public Dictionary<string, string>? Headers { get; init; }

    /// <summary><c>http</c>: request body, sent as text.</summary>
    [Id(8)] public string? Body { get; init; }

    /// <summary><c>handler</c>: the registered handler's name.</summary>
    [Id(9)] public string? Handler { get; init; }

    /// <summary><c>handler</c>: JSON payload handed to the handler (any JSON value in REST; raw JSON text in .NET).</summary>
    [Id(10)]
    [JsonConverter(typeof(RawJsonConverter))]
    public string? Payload { get; init; }

    /// <summary>
    /// <c>command</c>: environment variables whose values are secret. Encrypted before they are stored, decrypted only on
    /// the node that runs the attempt, masked in its recorded output, and answered as <c>"***"</c>. Sending <c>"***"</c>
    /// back for a name the stored action has keeps the stored value (a client may round-trip what it read).
    /// </summary>
    [Id(11)] public Dictionary<string, string>? Secrets { get; init; }

    /// <summary><c>http</c>: request headers whose values are secret; stored, shown and round-tripped as <see cref="Secrets"/> are.</summary>
    [Id(12)] public Dictionary<string, string>? SecretHeaders { get; init; }

    public static ActionSpec Run(string command, params string[] args) =>
        new() { Kind = ActionKind.Command, Command = command, Args = args };

    public static ActionSpec HttpRequest(string url, string method = "GET", string? body = null) =>
        new() { Kind = ActionKind.Http, Url = url, Method = method, Body = body };

    /// <summary>A handler action; <paramref name="payload"/> is serialized to JSON.</summary>
    public static ActionSpec RunHandler(string name, object? payload = null) => new()
    {
        Kind = ActionKind.Handler,
        Handler = name,
        Payload = payload is null ? null : System.Text.Json.JsonSerializer.Serialize(payload, JobSchedulerJson.Options),
    };
}

/// <summary>Retries with exponential backoff and jitter.</summary>
[GenerateSerializer, Immutable, Alias("JobScheduler.RetryPolicy")]
public sealed record RetryPolicy
{
    /// <summary>Attempts in all, including the first (1–100). Default 1.</summary>
    [Id(0)] public int MaxAttempts { get; init; } = 1;

    /// <summary>Wait before the second attempt. Default 1 s.</summary>
    [Id(1)] public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Upper bound of any wait. Default 5 min.</summary>
    [Id(2)] public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Growth factor per attempt (≥ 1). Default 2.</summary>
    [Id(3)] public double Multiplier { get; init; } = 2;

    /// <summary>Fraction (0–1) of each wait that is randomised, to spread retries. Default 0.2.</summary>
    [Id(4)] public double Jitter { get; init; } = 0.2;
}

/// <summary>Resources an attempt asks for; placement honours them once several nodes exist.</summary>
[GenerateSerializer, Immutable, Alias("JobScheduler.ResourceRequest")]
public sealed record ResourceRequest
{
    [Id(0)] public int CpuMillis { get; init; }
    [Id(1)] public int MemoryMb { get; init; }
    [Id(2)] public ResourceLimits? Limits { get; init; }
}

/// <summary>Hard limits enforced where the OS allows.</summary>
[GenerateSerializer, Immutable, Alias("JobScheduler.ResourceLimits")]
public sealed record ResourceLimits
{
    [Id(0)] public int? CpuMillis { get; init; }
    [Id(1)] public int? MemoryMb { get; init; }
}

/// <summary>A job as stored: its definition plus identity, state and timing.</summary>
[GenerateSerializer, Immutable, Alias("JobScheduler.JobInfo")]
public sealed record JobInfo : JobSpec
{
    public JobInfo() { }

    public JobInfo(JobSpec spec) : base(spec) { }

    [Id(0)] public string Id { get; init; } = "";
    [Id(1)] public string Owner { get; init; } = "";
    [Id(2)] public JobState State { get; init; }

    /// <summary>The next instant the job fires; null for manual, paused, completed jobs.</summary>
    [Id(3)]
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public DateTimeOffset? NextFireAt { get; init; }

    /// <summary>The scheduled instant of the latest fire.</summary>
    [Id(4)] public DateTimeOffset? LastFireAt { get; init; }
    [Id(5)] public DateTimeOffset CreatedAt { get; init; }
    [Id(6)] public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Fires skipped by <see cref="ConcurrencyPolicy.Forbid"/> or by the misfire policy.</summary>
    [Id(7)] public long SkippedFires { get; init; }

}

/// <summary>Overrides for a single manual trigger. Unset fields keep the job's values.</summary>
[GenerateSerializer, Immutable, Alias("JobScheduler.TriggerOptions")]
public sealed record TriggerOptions
{
    [Id(0)] public ActionSpec? Action { get; init; }
    [Id(1)] public RetryPolicy? Retry { get; init; }
    [Id(2)] public TimeSpan? Timeout { get; init; }
}
