namespace JobScheduler;

/// <summary>Lifecycle state of a job.</summary>
public enum JobState
{
    /// <summary>Fires on its schedule.</summary>
    Active = 0,
    /// <summary>Keeps its definition but does not fire until resumed; manual triggers still run.</summary>
    Paused = 1,
    /// <summary>A <c>once</c> job that has fired; it keeps its history.</summary>
    Completed = 2,
    /// <summary>Removed; never returned by queries.</summary>
    Deleted = 3,
}

/// <summary>How a job's fire times are computed.</summary>
public enum ScheduleKind
{
    /// <summary>Fires once at <see cref="ScheduleSpec.At"/>.</summary>
    Once = 0,
    /// <summary>Fires every <see cref="ScheduleSpec.Every"/>, anchored at <see cref="ScheduleSpec.StartAt"/>.</summary>
    Interval = 1,
    /// <summary>Fires on a cron expression (5 fields, or 6 with seconds) in a time zone.</summary>
    Cron = 2,
    /// <summary>Never fires by itself: runs only when triggered.</summary>
    Manual = 3,
}

/// <summary>What kind of work an action runs.</summary>
public enum ActionKind
{
    /// <summary>A child process on the node; allowed only where the server enables it.</summary>
    Command = 0,
    /// <summary>An HTTP request; 2xx is success.</summary>
    Http = 1,
    /// <summary>A named <c>IJobHandler</c> registered on the silo.</summary>
    Handler = 2,
}

/// <summary>What a fire does while an earlier execution of the same job is still running.</summary>
public enum ConcurrencyPolicy
{
    /// <summary>Start the new execution alongside (default).</summary>
    Allow = 0,
    /// <summary>Skip the fire.</summary>
    Forbid = 1,
    /// <summary>Cancel the running execution(s), then start the new one.</summary>
    Replace = 2,
}

/// <summary>What happens to fire times missed by more than the misfire threshold (downtime, a paused node).</summary>
public enum MisfirePolicy
{
    /// <summary>One catch-up run for all missed instants (default).</summary>
    FireOnce = 0,
    /// <summary>Missed instants are skipped; the job waits for its next fire time.</summary>
    Skip = 1,
    /// <summary>Every missed instant runs, oldest first, up to the server's catch-up bound.</summary>
    FireAll = 2,
}

/// <summary>State of one execution (one fire of a job).</summary>
public enum ExecutionState
{
    /// <summary>Created, waiting to start.</summary>
    Pending = 0,
    /// <summary>An attempt is running.</summary>
    Running = 1,
    /// <summary>The last attempt failed; waiting out the backoff before the next.</summary>
    Retrying = 2,
    /// <summary>An attempt succeeded.</summary>
    Succeeded = 3,
    /// <summary>All attempts were used and the last one did not succeed.</summary>
    Failed = 4,
    /// <summary>Cancelled by a user or replaced by a newer execution.</summary>
    Cancelled = 5,
}

/// <summary>How one attempt ended.</summary>
public enum AttemptOutcome
{
    /// <summary>Exit code 0, a 2xx response, or a handler that returned normally.</summary>
    Succeeded = 0,
    /// <summary>Non-zero exit code, non-2xx response, or an exception.</summary>
    Failed = 1,
    /// <summary>Killed after the job's <c>timeout</c>.</summary>
    TimedOut = 2,
    /// <summary>Stopped by a cancel.</summary>
    Cancelled = 3,
    /// <summary>Its node died or stopped answering; it does not consume a retry.</summary>
    Lost = 4,
}
