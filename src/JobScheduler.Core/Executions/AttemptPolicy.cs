namespace JobScheduler.Core.Executions;

/// <summary>
/// The execution's retry state machine, without the grain: before each attempt and after each outcome it decides
/// whether to run, finish (succeeded, cancelled, failed), run again at once (a lost attempt, which uses no retry), or wait
/// for the backoff. The grain places and runs the attempts, records them, and waits.
/// </summary>
public static class AttemptPolicy
{
    /// <summary>Attempts that used up a retry: finished and not lost (an attempt still in flight, when resumed, is neither).</summary>
    public static int Used(IEnumerable<AttemptInfo> attempts) =>
        attempts.Count(a => a.Outcome is { } outcome && outcome != AttemptOutcome.Lost);

    /// <summary>Before an attempt: cancel if asked, fail if the attempts are used up, else run.</summary>
    public static AttemptStep BeforeAttempt(RetryPolicy policy, IEnumerable<AttemptInfo> attempts, bool cancelRequested)
    {
        if (cancelRequested)
        {
            return AttemptStep.Cancel;
        }
        return Used(attempts) >= policy.MaxAttempts ? AttemptStep.Fail : AttemptStep.Run;
    }

    /// <summary>
    /// After an attempt ended with <paramref name="outcome"/> (<paramref name="attempts"/> includes it, finished). A failed
    /// or timed-out attempt is retried after <see cref="Backoff"/> while attempts remain and no cancel was asked for;
    /// <paramref name="jitter"/> in [0, 1) spreads the wait.
    /// </summary>
    public static AttemptStep AfterAttempt(
        RetryPolicy policy,
        IEnumerable<AttemptInfo> attempts,
        AttemptOutcome outcome,
        bool cancelRequested,
        DateTimeOffset now,
        double jitter)
    {
        switch (outcome)
        {
            case AttemptOutcome.Succeeded:
                return AttemptStep.Succeed;
            case AttemptOutcome.Cancelled:
                return AttemptStep.Cancel;
            case AttemptOutcome.Lost:
                return AttemptStep.RetryNow;
        }
        if (cancelRequested)
        {
            return AttemptStep.Cancel;
        }
        var used = Used(attempts);
        if (used >= policy.MaxAttempts)
        {
            return AttemptStep.Fail;
        }
        return new AttemptStep(AttemptStepKind.WaitThenRun, now + Backoff.Delay(policy, used, jitter));
    }
}
