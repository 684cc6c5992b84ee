namespace JobScheduler.Core.Jobs;

/// <summary>What the concurrency policy makes of one fire, given what still runs.</summary>
public enum FireDecision
{
    /// <summary>Start the execution.</summary>
    Start = 0,

    /// <summary>Skip the fire (<c>forbid</c> and an execution still runs); it counts as a skipped fire.</summary>
    Skip = 1,

    /// <summary>Cancel the running executions first, then start (<c>replace</c>).</summary>
    CancelRunningThenStart = 2,
}
