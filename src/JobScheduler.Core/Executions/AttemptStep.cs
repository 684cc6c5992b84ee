namespace JobScheduler.Core.Executions;

/// <summary>What an execution does next.</summary>
public enum AttemptStepKind
{
    /// <summary>Run an attempt (place it, or re-attach to the one in flight).</summary>
    Run = 0,

    /// <summary>Finish as succeeded.</summary>
    Succeed = 1,

    /// <summary>Finish as cancelled.</summary>
    Cancel = 2,

    /// <summary>Finish as failed: the attempts are used up.</summary>
    Fail = 3,

    /// <summary>The attempt was lost with its node: record it and run the next one at once, without using a retry.</summary>
    RetryNow = 4,

    /// <summary>Wait for the backoff until <see cref="AttemptStep.NextAttemptAt"/> (a cancel interrupts it), then run the next attempt.</summary>
    WaitThenRun = 5,
}

/// <summary>An execution's next step; <see cref="NextAttemptAt"/> is set for <see cref="AttemptStepKind.WaitThenRun"/>.</summary>
public sealed record AttemptStep(AttemptStepKind Kind, DateTimeOffset? NextAttemptAt = null)
{
    public static readonly AttemptStep Run = new(AttemptStepKind.Run);
    public static readonly AttemptStep Succeed = new(AttemptStepKind.Succeed);
    public static readonly AttemptStep Cancel = new(AttemptStepKind.Cancel);
    public static readonly AttemptStep Fail = new(AttemptStepKind.Fail);
    public static readonly AttemptStep RetryNow = new(AttemptStepKind.RetryNow);

    /// <summary>Whether the step ends the execution.</summary>
    public bool IsFinal => Kind is AttemptStepKind.Succeed or AttemptStepKind.Cancel or AttemptStepKind.Fail;

    /// <summary>The execution state a final step ends in.</summary>
    public ExecutionState FinalState => Kind switch
    {
        AttemptStepKind.Succeed => ExecutionState.Succeeded,
        AttemptStepKind.Cancel => ExecutionState.Cancelled,
        AttemptStepKind.Fail => ExecutionState.Failed,
        _ => throw new InvalidOperationException($"{Kind} does not end an execution."),
    };
}
